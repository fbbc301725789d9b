import WampMessages

/// What a HELLO asks for, as far as authentication is concerned.
public struct AuthHello: Sendable {
    public var realm: String
    /// The client's methods in its order of preference; empty means `["anonymous"]` (the spec
    /// and Crossbar's default).
    public var authmethods: [String]
    public var authid: String?
    public var authrole: String?
    /// HELLO.Details.authextra (an object), if any.
    public var authextra: JSONValue?

    public init(realm: String, authmethods: [String] = [], authid: String? = nil, authrole: String? = nil,
                authextra: JSONValue? = nil) {
        self.realm = realm
        self.authmethods = authmethods
        self.authid = authid
        self.authrole = authrole
        self.authextra = authextra
    }

    /// Reads HELLO.Details; `nil` when `authmethods` is not a list of strings, `authid` or
    /// `authrole` not a string, or `authextra` not an object (the caller answers ABORT
    /// `wamp.error.protocol_violation`). A member that is JSON `null` counts as absent.
    public init?(_ hello: Hello) {
        let details = hello.details
        func member(_ key: String) -> JSONValue? {
            guard let value = details.value(key), !value.isNull else { return nil }
            return value
        }
        var methods: [String] = []
        if let value = member("authmethods") {
            guard let strings = value.stringArray else { return nil }
            methods = strings
        }
        var authid: String?, authrole: String?
        if let value = member("authid") {
            guard let text = value.stringValue else { return nil }
            authid = text
        }
        if let value = member("authrole") {
            guard let text = value.stringValue else { return nil }
            authrole = text
        }
        let authextra = member("authextra")
        if let authextra, !authextra.isObject { return nil }
        self.init(realm: hello.realm, authmethods: methods, authid: authid, authrole: authrole, authextra: authextra)
    }

    /// The methods to try, in order: the client's, or `anonymous` when it named none.
    public var effectiveMethods: [String] { authmethods.isEmpty ? [AuthMethod.anonymous.rawValue] : authmethods }
}

/// TLS channel binding data the transport can offer (`tls-unique`, RFC 5929, or `tls-exporter`,
/// RFC 9266): 32 bytes that only the two ends of this TLS connection know.
public struct ChannelBinding: Sendable, Hashable {
    public var type: String
    public var data: [UInt8]

    public init(type: String, data: [UInt8]) {
        self.type = type
        self.data = data
    }

    /// The binding types WAMP-Cryptosign names.
    public static let knownTypes: Set<String> = ["tls-unique", "tls-exporter"]
}

/// What the transport tells a dynamic authenticator about the connection (Crossbar's
/// `details.transport`, with the members this router knows).
public struct AuthTransportInfo: Sendable, Hashable {
    /// The peer as Crossbar writes it: `tcp4:127.0.0.1:50321`, `tcp6:[::1]:50321`.
    public var peer: String
    public var isSecure: Bool
    /// The negotiated WebSocket subprotocol, e.g. `wamp.2.json`.
    public var websocketProtocol: String?
    /// `channel_framing`: "websocket" or "rawsocket".
    public var channelFraming: String
    /// `channel_type` when it is neither "tcp" nor "tls" (a Unix socket: "unix"); nil: by `isSecure`.
    public var channelType: String?

    public init(peer: String, isSecure: Bool, websocketProtocol: String? = nil, channelFraming: String = "websocket",
                channelType: String? = nil) {
        self.peer = peer
        self.isSecure = isSecure
        self.websocketProtocol = websocketProtocol
        self.channelFraming = channelFraming
        self.channelType = channelType
    }

    public var json: JSONValue {
        let object = JSONValue.makeObject()
        object.set("channel_type", string: channelType ?? (isSecure ? "tls" : "tcp"))
        object.set("channel_framing", string: channelFraming)
        object.set("peer", string: peer)
        object.set("is_server", bool: true)
        object.set("is_secure", bool: isSecure)
        if let websocketProtocol {
            object.set("websocket_protocol", string: websocketProtocol)
        } else {
            object.setNull("websocket_protocol")
        }
        return object
    }
}
