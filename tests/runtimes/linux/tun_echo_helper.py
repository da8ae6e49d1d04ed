"""Run inside a namespace: a TUN that answers IPv4 pings itself (used by test_tun.py)."""

from __future__ import annotations

import ipaddress
import select
import struct
import subprocess
import sys
import time

from runtimes.linux import netconf
from runtimes.linux.tun import TunDevice
from runtimes.undo import UndoStack


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_reply(packet: bytes) -> bytes | None:
    """The reply to an IPv4 ICMP echo request, else None."""
    if packet[0] >> 4 != 4 or packet[9] != 1:
        return None
    ihl = (packet[0] & 0x0F) * 4
    icmp = bytearray(packet[ihl:])
    if icmp[0] != 8:
        return None
    icmp[0] = 0
    icmp[2:4] = b"\0\0"
    icmp[2:4] = struct.pack("!H", checksum(bytes(icmp)))
    header = bytearray(packet[:ihl])
    header[12:16], header[16:20] = packet[16:20], packet[12:16]
    header[10:12] = b"\0\0"
    header[10:12] = struct.pack("!H", checksum(bytes(header)))
    return bytes(header) + bytes(icmp)


def main() -> int:
    undo = UndoStack()
    tun = TunDevice("oxtest0", mtu=1400, multi_queue=True, vnet_hdr="--vnet-hdr" in sys.argv)
    second = tun.add_queue()
    netconf.set_link_up(tun.name, mtu=1400)
    netconf.add_address(undo, tun.name, ipaddress.ip_interface("10.99.0.1/24"))
    netconf.add_address(undo, tun.name, ipaddress.ip_interface("fd99::1/64"))
    ping = subprocess.Popen(["ping", "-c", "3", "-i", "0.2", "-W", "2", "10.99.0.2"], stdout=subprocess.PIPE,
                            text=True)
    ping6 = subprocess.Popen(["ping", "-6", "-c", "1", "-W", "1", "fd99::2"], stdout=subprocess.DEVNULL)
    seen6 = False
    answered = 0
    deadline = time.monotonic() + 5
    while ping.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([tun, second], [], [], 0.2)
        for queue in ready:
            packets = queue.read_batch(64)
            replies = [r for r in map(echo_reply, packets) if r is not None]
            seen6 = seen6 or any(p[0] >> 4 == 6 and p[6] == 58 for p in packets)
            queue.write_batch(replies)
            answered += len(replies)
    out, _ = ping.communicate(timeout=5)
    ping6.wait(timeout=5)
    tun.write_batch([b"\x00" * 20])  # not IPv4/IPv6: the kernel refuses it; counted, not raised
    print(f"ping_rc={ping.returncode} answered={answered} seen6={seen6} drops={tun.write_drops}")
    second.close()
    tun.close()
    undo.unwind()
    left = subprocess.run(["ip", "link", "show", "oxtest0"], capture_output=True, text=True)
    print(f"left_rc={left.returncode}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
