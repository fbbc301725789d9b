/// TLS for the router's listeners (swift-nio-ssl).
public enum WampTLSPlaceholder {}
