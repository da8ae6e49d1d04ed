# Generated from spec/masque/quic_varint.ksy by kaitai-struct-compiler 0.11.0 — do not edit.
# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class QuicVarint(KaitaiStruct):
    """RFC 9000 §16: the two high bits of the first byte give the length (1, 2, 4 or 8 bytes), the remaining
    bits the value, big-endian. Decoders accept non-minimal encodings (RFC 9297 §1.1); encoders use the
    minimal one unless asked for a given length. The codecs treat this as a primitive integer type.
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(QuicVarint, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.prefix = self._io.read_bits_int_be(2)
        _on = self.prefix
        if _on == 0:
            pass
            self.low = self._io.read_bits_int_be(6)
        elif _on == 1:
            pass
            self.low = self._io.read_bits_int_be(14)
        elif _on == 2:
            pass
            self.low = self._io.read_bits_int_be(30)
        elif _on == 3:
            pass
            self.low = self._io.read_bits_int_be(62)


    def _fetch_instances(self):
        pass
        _on = self.prefix
        if _on == 0:
            pass
        elif _on == 1:
            pass
        elif _on == 2:
            pass
        elif _on == 3:
            pass

    @property
    def len(self):
        """Encoded length in bytes."""
        if hasattr(self, '_m_len'):
            return self._m_len

        self._m_len = 1 << self.prefix
        return getattr(self, '_m_len', None)

    @property
    def value(self):
        """The integer value."""
        if hasattr(self, '_m_value'):
            return self._m_value

        self._m_value = self.low
        return getattr(self, '_m_value', None)


