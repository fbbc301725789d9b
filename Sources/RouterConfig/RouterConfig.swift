/// Reads a Crossbar.io `config.json` (JSON or YAML) into a typed router configuration.
public enum RouterConfigPlaceholder {}
