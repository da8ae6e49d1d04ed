"""The spec constants the fallback transports use, in one place.

They come from `generated.codecs.constants` (spec/constants.yaml). The transports read them only through
this module so that the names they depend on are listed once.
"""

from __future__ import annotations

from generated.codecs import constants as _c

PORT_UDP: int = _c.PORT_UDP
PORT_TCP: int = _c.PORT_TCP
PORT_QUIC: int = _c.PORT_QUIC
QUIC_ALPN: str = _c.QUIC_ALPN
MAGIC: int = _c.MAGIC
HEADER_SIZE: int = _c.HEADER_SIZE
MASQUE_ALPN: str = _c.MASQUE_ALPN
TCP_FRAME_MIN: int = _c.HEADER_SIZE  # a frame carries at least an OxTunnel header
TCP_FRAME_MAX: int = _c.MAX_DATAGRAM_SIZE  # frame_length is a u2
MASQUE_UDP_PATH: str = _c.MASQUE_UDP_PATH
MASQUE_IP_PATH: str = _c.MASQUE_IP_PATH
QUARTER_STREAM_ID_MAX: int = _c.QUARTER_STREAM_ID_MAX
MASQUE_MIN_MTU: int = _c.MASQUE_MIN_MTU
