"""One keypair of a session (the result of one handshake) and the envelope seal/open on it.

The per-packet path: one generated precompiled-Struct helper for header ‖ receiver_index ‖
counter, one AEAD call
with the nonce and AAD sliced out of that prefix, one concatenation.  The AEAD objects are created once
per keypair.  (Measured: ``prefix + aead.encrypt(...)`` beats ``encrypt_into`` a preallocated buffer.)
``seal_batch`` runs that loop over a whole batch with everything it needs in local variables, and
``decrypt`` is the receive AEAD's bound method for the session's batched receive loop.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.exceptions import InvalidTag

from oxtunnel import wire
from oxtunnel.crypto import make_aead
from oxtunnel.replay import ReplayWindow

_PACK_PREFIX = wire.pack_envelope_prefix
_ENCRYPTED = wire.FLAG_ENCRYPTED
_PREFIX = wire.ENVELOPE_PREFIX_SIZE
_TAG = wire.TAG_SIZE


class Keypair:
    """Send and receive keys of one handshake, their indices, counter and replay window."""

    __slots__ = (
        "local_index",
        "remote_index",
        "cipher",
        "plaintext",
        "created",
        "initiator",
        "send_counter",
        "replay",
        "_send",
        "_recv",
        "decrypt",
        "rekey_at",
        "expires_at",
    )

    def __init__(
        self,
        *,
        local_index: int,
        remote_index: int,
        cipher: int,
        send_key: bytes,
        receive_key: bytes,
        created: float,
        initiator: bool,
        plaintext: bool,
        rekey_after_time: float,
        reject_after_time: float,
    ) -> None:
        self.local_index = local_index
        self.remote_index = remote_index
        self.cipher = cipher
        self.plaintext = plaintext  # authenticated-plaintext envelopes were negotiated
        self.created = created
        self.initiator = initiator
        self.send_counter = 0
        self.replay = ReplayWindow()
        self._send = make_aead(cipher, send_key)
        self._recv = make_aead(cipher, receive_key)
        self.decrypt = self._recv.decrypt  # (nonce, ciphertext ‖ tag, aad) -> body; raises InvalidTag
        self.rekey_at = created + rekey_after_time
        self.expires_at = created + reject_after_time

    def seal(self, flags: int, body: bytes) -> bytes:
        """An envelope datagram carrying ``body``; authenticated plaintext when ENCRYPTED is not in flags."""
        counter = self.send_counter
        self.send_counter = counter + 1
        prefix = _PACK_PREFIX(flags, self.remote_index, counter, len(body))
        if flags & _ENCRYPTED:
            return prefix + self._send.encrypt(prefix[9:21], body, prefix[:9])
        covered = prefix + body
        return covered + self._send.encrypt(prefix[9:21], b"", covered)

    def seal_batch(self, units: Sequence[tuple[int, bytes]], extra_flags: int) -> list[bytes]:
        """``seal(flags | extra_flags, body)`` for every unit, in order (counters consecutive)."""
        if not extra_flags & _ENCRYPTED:
            return [self.seal(flags | extra_flags, body) for flags, body in units]
        counter = self.send_counter
        self.send_counter = counter + len(units)
        pack, remote, encrypt = _PACK_PREFIX, self.remote_index, self._send.encrypt
        out: list[bytes] = []
        append = out.append
        for flags, body in units:
            prefix = pack(flags | extra_flags, remote, counter, len(body))
            append(prefix + encrypt(prefix[9:21], body, prefix[:9]))
            counter += 1
        return out

    def open(self, datagram: bytes, flags: int) -> bytes | None:
        """The authenticated body of an envelope (already framed-checked), or None if the tag is wrong."""
        try:
            if flags & _ENCRYPTED:
                return self._recv.decrypt(datagram[9:21], datagram[_PREFIX:], datagram[:9])
            self._recv.decrypt(datagram[9:21], datagram[-_TAG:], datagram[:-_TAG])
        except InvalidTag:
            return None
        return datagram[_PREFIX:-_TAG]
