"""Generators that turn spec/ (Kaitai .ksy + constants.yaml) into generated/ and docs/protocol.md."""
