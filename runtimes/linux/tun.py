"""Linux TUN device (`/dev/net/tun`): a `PacketDevice` that moves IP packets in batches.

`IFF_TUN | IFF_NO_PI`: every read/write is exactly one IP packet, no 4-byte protocol prefix. The fd is
non-blocking; the pump reads it when the event loop reports it readable and drains up to a batch.
`IFF_MULTI_QUEUE` opens extra queues on the same interface (`add_queue`), one fd each, so several
readers can share the load later. The device disappears when its last fd is closed (not persistent),
which is also what happens if the process dies: no leftover interface.

Offloads: with `vnet_hdr=True` every read and write carries a virtio-net header (`IFF_VNET_HDR`).
Writes join runs of TCP segments into GSO super-packets (runtimes.linux.tcpgro), so the kernel's stack
sees one packet per run — the receive-side half of wireguard-go's offloads. Reads are the other half:
the device offers checksum offload and TSO (`TUNSETOFFLOAD TUN_F_CSUM|TSO4|TSO6|TSO_ECN`), so a local
TCP sender hands over one super-packet of up to 64 KiB per read, cut into MSS-sized segments with
their checksums here (runtimes.linux.tso); with `tso=False` the kernel segments and checksums first.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import struct
from collections.abc import Sequence

from runtimes.linux import tcpgro
from runtimes.linux.tso import TSO_OFFLOADS, OffloadError, packets_from_read

log = logging.getLogger(__name__)

TUN_PATH = "/dev/net/tun"
# ioctl numbers from <linux/if_tun.h> (_IOW('T', n, int))
TUNSETIFF = 0x400454CA
TUNSETPERSIST = 0x400454CB
TUNSETOFFLOAD = 0x400454D0
TUNSETVNETHDRSZ = 0x400454D8
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IFF_MULTI_QUEUE = 0x0100
IFF_VNET_HDR = 0x4000
IFNAMSIZ = 16
_IFREQ = struct.Struct("16sH22x")  # struct ifreq: name + flags, padded to 40 bytes

# Largest read: an IP packet can be at most 64 KiB (TSO super-packets later are too).
READ_SIZE = 65535


def _set_offload(fd: int, offloads: int) -> bool:
    """Ask for TSO reads; False when this kernel refuses the flags (then reads stay plain packets)."""
    try:
        fcntl.ioctl(fd, TUNSETOFFLOAD, offloads)
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
        log.info("TUN offloads %#x refused (%s): reading plain packets", offloads, exc)
        return False
    return True


class TunError(OSError):
    """Opening or configuring the TUN device failed; the message says why and what to check."""


def valid_interface_name(name: str) -> bool:
    """Linux interface names: 1–15 bytes, no '/', no whitespace, not '.' or '..'."""
    raw = name.encode()
    return (
        0 < len(raw) < IFNAMSIZ
        and name not in (".", "..")
        and not any(c in name for c in "/: \t\n")
    )


class TunDevice:
    """One queue of a Linux TUN interface; `read_batch`/`write_batch` never block."""

    def __init__(self, name: str, *, mtu: int, multi_queue: bool = False, vnet_hdr: bool = False,
                 tso: bool | None = None) -> None:
        if not valid_interface_name(name):
            raise TunError(errno.EINVAL,
                           f"invalid interface name {name!r} (1-15 bytes, no '/', ':' or spaces)")
        self.mtu = mtu
        self.multi_queue = multi_queue
        self.vnet_hdr = vnet_hdr
        self.tso = vnet_hdr if tso is None else tso and vnet_hdr  # TSO reads need the header
        self.read_errors = 0
        self.reads = 0
        self.packets_read = 0
        self.write_drops = 0
        self.writes = 0
        self.packets_written = 0
        try:
            fd = os.open(TUN_PATH, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError as exc:
            raise TunError(exc.errno, f"{TUN_PATH} missing: load the tun module (modprobe tun)") from exc
        except PermissionError as exc:
            raise TunError(exc.errno, f"{TUN_PATH}: permission denied (needs root or CAP_NET_ADMIN)") from exc
        flags = IFF_TUN | IFF_NO_PI | (IFF_MULTI_QUEUE if multi_queue else 0)
        flags |= IFF_VNET_HDR if vnet_hdr else 0
        try:
            result = fcntl.ioctl(fd, TUNSETIFF, _IFREQ.pack(name.encode(), flags))
        except OSError as exc:
            os.close(fd)
            hint = " (an interface of that name exists and is not a TUN of ours?)" if exc.errno in (
                errno.EBUSY, errno.EINVAL, errno.EEXIST) else ""
            raise TunError(exc.errno, f"TUNSETIFF {name}: {os.strerror(exc.errno or 0)}{hint}") from exc
        if vnet_hdr:
            try:
                fcntl.ioctl(fd, TUNSETVNETHDRSZ, struct.pack("i", tcpgro.VNET_HDR_LEN))
                self.tso = self.tso and _set_offload(fd, TSO_OFFLOADS)
                if not self.tso:
                    fcntl.ioctl(fd, TUNSETOFFLOAD, 0)  # finished packets from the kernel; writes still join
            except OSError as exc:
                os.close(fd)
                reason = os.strerror(exc.errno or 0)
                raise TunError(exc.errno, f"TUN offload set-up on {name}: {reason}") from exc
        self._fd = fd
        self._buf = bytearray(READ_SIZE + tcpgro.VNET_HDR_LEN)
        self.name = _IFREQ.unpack(result)[0].rstrip(b"\0").decode()

    def fileno(self) -> int:
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def add_queue(self) -> TunDevice:
        """Open one more queue of this multi-queue interface (its own fd)."""
        if not self.multi_queue:
            raise ValueError("add_queue needs a device opened with multi_queue=True")
        return TunDevice(self.name, mtu=self.mtu, multi_queue=True, vnet_hdr=self.vnet_hdr, tso=self.tso)

    def read_batch(self, max_packets: int) -> list[bytes]:
        """Up to about `max_packets` packets that are ready now (the segments of one super-packet are
        never split across calls); [] when none."""
        if self.tso:
            return self._read_offloaded(max_packets)
        packets: list[bytes] = []
        read = os.read
        fd = self._fd
        skip = tcpgro.VNET_HDR_LEN if self.vnet_hdr else 0
        size = READ_SIZE + skip
        while len(packets) < max_packets:
            try:
                packet = read(fd, size)
            except BlockingIOError:
                break
            except OSError as exc:
                # EIO/EBADFD when the interface went away; count it and let the caller notice.
                self.read_errors += 1
                log.debug("tun %s read: %s", self.name, exc)
                break
            if skip:
                # without offloads (TUNSETOFFLOAD 0) the header is all zeros: no GSO, no partial checksum
                if len(packet) <= skip or packet[1] != tcpgro.GSO_NONE:
                    self.read_errors += 1
                    continue
                packet = packet[skip:]
            if packet:
                packets.append(packet)
        self.reads += len(packets)
        self.packets_read += len(packets)
        return packets

    def _read_offloaded(self, max_packets: int) -> list[bytes]:
        """Reads into one reused buffer; super-packets are segmented, partial checksums completed."""
        packets: list[bytes] = []
        readv = os.readv
        fd, buffers = self._fd, [self._buf]
        reads = 0
        while len(packets) < max_packets:
            try:
                length = readv(fd, buffers)
            except BlockingIOError:
                break
            except OSError as exc:
                self.read_errors += 1
                log.debug("tun %s read: %s", self.name, exc)
                break
            reads += 1
            try:
                packets += packets_from_read(self._buf, length)
            except OffloadError as exc:
                self.read_errors += 1
                log.debug("tun %s read: %s", self.name, exc)
        self.reads += reads
        self.packets_read += len(packets)
        return packets

    def write_batch(self, packets: Sequence[bytes]) -> None:
        """Hand packets to the kernel. A full queue or a packet the kernel refuses is dropped and counted."""
        write = os.write
        fd = self._fd
        self.packets_written += len(packets)
        writes = tcpgro.coalesce(packets) if self.vnet_hdr else packets
        self.writes += len(writes)
        for packet in writes:
            try:
                write(fd, packet)
            except OSError as exc:  # EAGAIN (txqueue full), EINVAL (not an IP packet), EIO (link down)
                self.write_drops += 1
                if exc.errno not in (errno.EAGAIN, errno.EINVAL, errno.EIO):
                    log.debug("tun %s write: %s", self.name, exc)

    def close(self) -> None:
        """Close the fd; the kernel removes the interface with its last queue."""
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    def __enter__(self) -> TunDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
