import WampMessages

/// The `wildcard` patterns of one realm side (subscriptions or registrations) as a tree by URI
/// component, one tree per component count, so that matching a URI follows only the branches its
/// own components select: at each level the child named by the URI's component and the child for
/// an empty (any) component.
///
/// Children are keyed by component as `String`s compare, and every hit is confirmed with
/// `MatchPolicy.wildcard.matches` (which compares UTF-8 bytes), so the tree reports exactly what
/// that predicate accepts. Visiting the exact child before the any child meets the patterns in
/// `PatternPrecedence.wildcard` order, so the first confirmed hit is the best one. The walk uses
/// its own stack: a URI's component count is bounded only by the message size. Worst case:
/// patterns built to share the URI's leading components and differ only at its end can make a
/// walk visit up to every node of that component count's tree, never more.
struct WildcardPatternTree: Sendable {
    typealias Entry = PatternIndex.Entry

    private struct Node: Sendable {
        var children: [Substring: Int] = [:]
        /// The child for an empty pattern component.
        var any: Int?
        var entry: Entry?

        var isUnused: Bool { entry == nil && any == nil && children.isEmpty }
    }

    private var nodes: [Node] = []
    private var freeSlots: [Int] = []
    /// Root node by component count.
    private var roots: [Int: Int] = [:]
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// Adds or replaces the pattern's ID.
    mutating func insert(_ pattern: String, id: WampID) {
        let components = Self.components(of: pattern)
        var node: Int
        if let root = roots[components.count] {
            node = root
        } else {
            node = allocate()
            roots[components.count] = node
        }
        for component in components {
            if component.isEmpty {
                if let next = nodes[node].any {
                    node = next
                } else {
                    let next = allocate()
                    nodes[node].any = next
                    node = next
                }
            } else if let next = nodes[node].children[component] {
                node = next
            } else {
                let next = allocate()
                nodes[node].children[component] = next
                node = next
            }
        }
        if nodes[node].entry == nil { count += 1 }
        nodes[node].entry = Entry(pattern: pattern, id: id)
    }

    /// Removes the pattern (components compared as `String`s compare); returns its ID if it was there.
    @discardableResult
    mutating func remove(_ pattern: String) -> WampID? {
        let components = Self.components(of: pattern)
        guard let root = roots[components.count] else { return nil }
        var path: [Int] = [root]
        for component in components {
            let current = path[path.count - 1]
            guard let next = component.isEmpty ? nodes[current].any : nodes[current].children[component] else { return nil }
            path.append(next)
        }
        guard let removed = nodes[path[path.count - 1]].entry else { return nil }
        nodes[path[path.count - 1]].entry = nil
        count -= 1
        // Unlink the nodes that no longer lead to any pattern, deepest first.
        var depth = components.count
        while depth > 0, nodes[path[depth]].isUnused {
            let parent = path[depth - 1]
            let component = components[depth - 1]
            if component.isEmpty { nodes[parent].any = nil } else { nodes[parent].children[component] = nil }
            release(path[depth])
            depth -= 1
        }
        if depth == 0, nodes[root].isUnused {
            roots[components.count] = nil
            release(root)
        }
        return removed.id
    }

    /// The ID stored under exactly this pattern.
    func id(of pattern: String) -> WampID? {
        let components = Self.components(of: pattern)
        guard var node = roots[components.count] else { return nil }
        for component in components {
            guard let next = component.isEmpty ? nodes[node].any : nodes[node].children[component] else { return nil }
            node = next
        }
        return nodes[node].entry?.id
    }

    /// Calls `body` with every pattern matching `uri`, best first (`PatternPrecedence.wildcard`),
    /// until `body` returns false.
    func forEachMatch(of uri: String, _ body: (Entry) -> Bool) {
        guard !roots.isEmpty else { return }
        let components = Self.components(of: uri)
        guard let root = roots[components.count] else { return }
        var stack: [(node: Int, depth: Int)] = [(root, 0)]
        while let (node, depth) = stack.popLast() {
            if depth == components.count {
                if let entry = nodes[node].entry, MatchPolicy.wildcard.matches(pattern: entry.pattern, uri: uri) {
                    if !body(entry) { return }
                }
                continue
            }
            // Pushed last, popped first: the named child's subtree before the any child's.
            if let any = nodes[node].any { stack.append((any, depth + 1)) }
            if let named = nodes[node].children[components[depth]] { stack.append((named, depth + 1)) }
        }
    }

    /// The matching pattern that `PatternPrecedence.wildcard` ranks first.
    func bestMatch(of uri: String) -> Entry? {
        var best: Entry?
        forEachMatch(of: uri) { entry in
            best = entry
            return false
        }
        return best
    }

    /// Every stored pattern (for tests and checks; walks the whole tree).
    var entries: [Entry] { nodes.compactMap(\.entry) }

    /// Nodes in use: at most one per component of each pattern.
    var nodeCount: Int { nodes.count - freeSlots.count }

    /// Components split at every `.` byte, empty ones kept, as `MatchPolicy.wildcard` splits them.
    private static func components(of uri: String) -> [Substring] {
        uri.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map { Substring($0) }
    }

    private mutating func allocate() -> Int {
        if let slot = freeSlots.popLast() {
            nodes[slot] = Node()
            return slot
        }
        nodes.append(Node())
        return nodes.count - 1
    }

    private mutating func release(_ slot: Int) {
        nodes[slot] = Node()
        freeSlots.append(slot)
    }
}
