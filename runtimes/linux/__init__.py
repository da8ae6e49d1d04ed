"""Linux-specific runtime pieces: TUN, netlink configuration, policy routing, nftables, sysctls, DNS."""
