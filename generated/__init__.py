"""Codecs generated from spec/ by `make generate` (public library API; never edited by hand)."""
