import Synchronization
import WampMessages

/// Publish/subscribe routing for one realm (Basic Profile, exact topic match).
///
/// The lock is held only to decide: look up the subscription, take its subscriber table (a
/// copy-on-write reference, so this is O(1)) and draw a publication ID. The EVENT is encoded once
/// per publication outside the lock and the same bytes go to every subscriber.
public final class Broker: Sendable {
    struct Subscription {
        let id: WampID
        let topic: String
        var subscribers: [WampID: RealmSession]
    }

    struct State {
        var subscriptionByTopic: [String: WampID] = [:]
        var subscriptions: [WampID: Subscription] = [:]
        var subscriptionsBySession: [WampID: Set<WampID>] = [:]
        var ids = IDGenerator()
    }

    private let state = Mutex(State())
    private let uris: URIValidator

    public init(uris: URIValidator) {
        self.uris = uris
    }

    public func subscribe(_ message: Subscribe, from session: RealmSession) {
        if let match = message.options.string("match"), match != "exact" {
            session.peer.send(.error(ErrorMessage(
                requestType: .subscribe, request: message.request, error: ErrorURI.invalidArgument,
                message: "subscription match policy '\(match)' is not supported by this router")))
            return
        }
        guard uris.isValid(message.topic) else {
            session.peer.send(.error(ErrorMessage(
                requestType: .subscribe, request: message.request, error: ErrorURI.invalidURI,
                message: "'\(message.topic)' is not a valid topic URI")))
            return
        }
        let subscriptionID = state.withLock { state -> WampID in
            let id: WampID
            if let existing = state.subscriptionByTopic[message.topic] {
                id = existing
                state.subscriptions[id]!.subscribers[session.id] = session
            } else {
                id = state.newSubscriptionID()
                state.subscriptionByTopic[message.topic] = id
                state.subscriptions[id] = Subscription(id: id, topic: message.topic, subscribers: [session.id: session])
            }
            state.subscriptionsBySession[session.id, default: []].insert(id)
            return id
        }
        session.peer.send(.subscribed(Subscribed(request: message.request, subscription: subscriptionID)))
    }

    public func unsubscribe(_ message: Unsubscribe, from session: RealmSession) {
        let removed = state.withLock { state in
            state.removeSubscriber(session.id, from: message.subscription)
        }
        if removed {
            session.peer.send(.unsubscribed(Unsubscribed(request: message.request)))
        } else {
            session.peer.send(.error(ErrorMessage(
                requestType: .unsubscribe, request: message.request, error: ErrorURI.noSuchSubscription,
                message: "session has no subscription \(message.subscription)")))
        }
    }

    /// Delivers one EVENT per subscriber and, when asked, PUBLISHED to the publisher.
    ///
    /// Returns a description of why nothing was published when the publication is refused and
    /// the publisher did not ask for acknowledgement, so the caller can log it (the spec gives
    /// such a publisher no answer, and we do not drop anything without saying so).
    @discardableResult
    public func publish(_ message: Publish, from session: RealmSession) -> String? {
        let acknowledge = message.options.bool("acknowledge") ?? false
        if let refusal = refusal(for: message.topic) {
            if acknowledge {
                session.peer.send(.error(ErrorMessage(
                    requestType: .publish, request: message.request, error: ErrorURI.invalidURI, message: refusal)))
            }
            return refusal
        }
        let excludeMe = message.options.bool("exclude_me") ?? true
        let (subscription, publication) = state.withLock { state in
            let subscription = state.subscriptionByTopic[message.topic].flatMap { state.subscriptions[$0] }
            return (subscription, state.ids.next())
        }
        if let subscription {
            var encoded: EncodedMessage?
            for (subscriberID, subscriber) in subscription.subscribers where !(excludeMe && subscriberID == session.id) {
                if encoded == nil {
                    encoded = MessageEncoder.encode(.event(Event(
                        subscription: subscription.id, publication: publication,
                        details: Broker.emptyDetails, payload: message.payload)))
                }
                subscriber.peer.send(encoded!)
            }
        }
        if acknowledge {
            session.peer.send(.published(Published(request: message.request, publication: publication)))
        }
        return nil
    }

    /// Drops every subscription a leaving session held.
    public func removeSession(_ sessionID: WampID) {
        state.withLock { state in
            for id in state.subscriptionsBySession[sessionID] ?? [] {
                _ = state.removeSubscriber(sessionID, from: id)
            }
        }
    }

    public var subscriptionCount: Int { state.withLock { $0.subscriptions.count } }

    private func refusal(for topic: String) -> String? {
        guard uris.isValid(topic) else { return "'\(topic)' is not a valid topic URI" }
        if topic.hasPrefix("wamp.") { return "topic '\(topic)' is under the reserved prefix 'wamp.'" }
        return nil
    }

    /// Shared, never mutated: EVENT Details of the Basic Profile are empty.
    static let emptyDetails = JSONValue.emptyObject
}

extension Broker.State {
    /// Removes one subscriber; the subscription itself goes when its last subscriber does.
    mutating func removeSubscriber(_ sessionID: WampID, from subscriptionID: WampID) -> Bool {
        guard subscriptions[subscriptionID]?.subscribers.removeValue(forKey: sessionID) != nil else { return false }
        subscriptionsBySession[sessionID]?.remove(subscriptionID)
        if subscriptionsBySession[sessionID]?.isEmpty == true { subscriptionsBySession[sessionID] = nil }
        if let subscription = subscriptions[subscriptionID], subscription.subscribers.isEmpty {
            subscriptions[subscriptionID] = nil
            subscriptionByTopic[subscription.topic] = nil
        }
        return true
    }

    mutating func newSubscriptionID() -> WampID {
        var id = ids.next()
        while subscriptions[id] != nil { id = ids.next() }
        return id
    }
}
