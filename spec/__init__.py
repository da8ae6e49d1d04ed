"""The OxTunnel wire specification (Kaitai .ksy + YAML) and its code generators (spec.codegen)."""
