"""Check implementations; importing this package registers them all (see ``conformance/registry.py``)."""

from conformance.checks import (  # noqa: F401
    legacy,
    v3_abuse,
    v3_control,
    v3_data,
    v3_handshake,
    v3_header,
    v3_integrity,
    v3_masque,
    v3_policy,
)
