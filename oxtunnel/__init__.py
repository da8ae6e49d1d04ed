"""OxTunnel v3 sans-IO protocol core: handshake, keys, envelope, replay window, timers, sessions."""
