"""Black-box conformance suite for OxTunnel implementations (talks over the wire only)."""
