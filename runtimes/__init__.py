"""Data planes built on the sans-IO core: packet devices, datagram binds, the pump loop."""
