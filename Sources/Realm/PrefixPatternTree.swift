import WampMessages

/// The `prefix` patterns of one realm side (subscriptions or registrations) as a radix tree over
/// Characters, so that finding the patterns a URI starts with walks the URI once and never looks
/// at a pattern that is not one of its prefixes.
///
/// Prefix matching is string-prefix matching (`com.a` matches `com.ab.c`), so the tree is not cut
/// at `.`: a pattern may end anywhere in a component. It compares Characters, as
/// `MatchPolicy.prefix.matches` (`String.hasPrefix`) does, and every hit is confirmed with that
/// predicate, so the two cannot disagree on a match the tree reports. Nodes live in one array
/// (indices as links), which keeps the tree a value: a copy of the owning state is a real copy.
struct PrefixPatternTree: Sendable {
    typealias Entry = PatternIndex.Entry

    private struct Node: Sendable {
        /// The Characters on the edge from the parent (empty only at the root).
        var label: String
        var entry: Entry?
        /// By the first Character of the child's label.
        var children: [Character: Int] = [:]
    }

    private var nodes: [Node] = [Node(label: "")]
    private var freeSlots: [Int] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// Adds or replaces the pattern's ID.
    mutating func insert(_ pattern: String, id: WampID) {
        var node = 0
        var rest = pattern[...]
        while let first = rest.first {
            guard let child = nodes[node].children[first] else {
                nodes[node].children[first] = allocate(Node(label: String(rest), entry: Entry(pattern: pattern, id: id)))
                count += 1
                return
            }
            let label = nodes[child].label
            var labelIndex = label.startIndex
            var restIndex = rest.startIndex
            while labelIndex < label.endIndex, restIndex < rest.endIndex, label[labelIndex] == rest[restIndex] {
                label.formIndex(after: &labelIndex)
                rest.formIndex(after: &restIndex)
            }
            if labelIndex < label.endIndex {
                // The pattern leaves (or ends inside) the edge: cut the edge where they part.
                let remainder = String(label[labelIndex...])
                let middle = allocate(Node(label: String(label[..<labelIndex]), children: [remainder.first!: child]))
                nodes[child].label = remainder
                nodes[node].children[first] = middle
                node = middle
            } else {
                node = child
            }
            rest = rest[restIndex...]
        }
        if nodes[node].entry == nil { count += 1 }
        nodes[node].entry = Entry(pattern: pattern, id: id)
    }

    /// Removes the pattern (compared as `String`s compare); returns its ID if it was there.
    @discardableResult
    mutating func remove(_ pattern: String) -> WampID? {
        var path: [(node: Int, key: Character)] = []
        var node = 0
        var rest = pattern[...]
        while let first = rest.first {
            guard let child = nodes[node].children[first], let after = Self.remainder(of: rest, after: nodes[child].label) else {
                return nil
            }
            path.append((node, first))
            node = child
            rest = after
        }
        guard let removed = nodes[node].entry else { return nil }
        nodes[node].entry = nil
        count -= 1
        // Drop the node if it is now a dead end, then fold a pass-through node into its child.
        if let (parent, key) = path.last, nodes[node].children.isEmpty {
            nodes[parent].children[key] = nil
            release(node)
            node = parent
            path.removeLast()
        }
        if let (parent, key) = path.last, nodes[node].entry == nil, nodes[node].children.count == 1 {
            let only = nodes[node].children.first!.value
            nodes[only].label = nodes[node].label + nodes[only].label
            nodes[parent].children[key] = only
            release(node)
        }
        return removed.id
    }

    /// The ID stored under exactly this pattern.
    func id(of pattern: String) -> WampID? {
        var node = 0
        var rest = pattern[...]
        while let first = rest.first {
            guard let child = nodes[node].children[first], let after = Self.remainder(of: rest, after: nodes[child].label) else {
                return nil
            }
            node = child
            rest = after
        }
        return nodes[node].entry?.id
    }

    /// Calls `body` with every pattern `uri` starts with, shortest first. Cost: one step per
    /// Character of the longest stored prefix of `uri`, plus one check per match.
    func forEachMatch(of uri: String, _ body: (Entry) -> Void) {
        var node = 0
        var rest = uri[...]
        while true {
            if let entry = nodes[node].entry, MatchPolicy.prefix.matches(pattern: entry.pattern, uri: uri) { body(entry) }
            guard let first = rest.first, let child = nodes[node].children[first],
                  let after = Self.remainder(of: rest, after: nodes[child].label) else { return }
            node = child
            rest = after
        }
    }

    /// The matching pattern that `PatternPrecedence.prefix` ranks first (the longest).
    func bestMatch(of uri: String) -> Entry? {
        var best: Entry?
        forEachMatch(of: uri) { entry in
            if best == nil || PatternPrecedence.prefix(entry.pattern, isBetterThan: best!.pattern) { best = entry }
        }
        return best
    }

    /// Every stored pattern (for tests and checks; walks the whole tree).
    var entries: [Entry] { nodes.compactMap(\.entry) }

    /// Nodes in use, root included: stays proportional to the patterns, not to their lengths.
    var nodeCount: Int { nodes.count - freeSlots.count }

    /// What is left of `text` after `label`, or `nil` if `text` does not start with it.
    private static func remainder(of text: Substring, after label: String) -> Substring? {
        var index = text.startIndex
        for character in label {
            guard index < text.endIndex, text[index] == character else { return nil }
            text.formIndex(after: &index)
        }
        return text[index...]
    }

    private mutating func allocate(_ node: Node) -> Int {
        if let slot = freeSlots.popLast() {
            nodes[slot] = node
            return slot
        }
        nodes.append(node)
        return nodes.count - 1
    }

    private mutating func release(_ slot: Int) {
        nodes[slot] = Node(label: "")
        freeSlots.append(slot)
    }
}
