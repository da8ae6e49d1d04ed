meta:
  id: session_config
  title: Session configuration
  endian: be
  imports: [ip_address, ip_prefix]
doc: |
  What the server grants (the plaintext of HANDSHAKE_RESPONSE's payload, and the body of CONFIG_UPDATE).
  An all-zero address with prefix length 0 means "none" for that family.
seq:
  - id: cipher
    type: u1
    enum: cipher
    doc: Envelope AEAD (1 ChaCha20-Poly1305, 2 AES-256-GCM).
    valid:
      any-of: [cipher::chacha20_poly1305, cipher::aes_256_gcm]
  - id: features
    type: u2
    doc: Accepted features (a subset of the requested ones), same bits as init_payload.features.
    valid:
      expr: '(_ & 0xfff0) == 0'
  - id: mtu
    type: u2
    doc: Tunnel MTU (largest inner IP packet), 576 … 65470.
    valid:
      min: 576
      max: 65470
  - id: keepalive_interval
    type: u2
    doc: Seconds between keepalives the client should send when idle (0 = off).
  - id: ipv4_address
    size: 4
    doc: The client's inner IPv4 address (all zero = none).
  - id: ipv4_prefix_length
    type: u1
    doc: Prefix length of the client's IPv4 network, at most 32.
    valid:
      max: 32
  - id: ipv6_address
    size: 16
    doc: The client's inner IPv6 address (all zero = none).
  - id: ipv6_prefix_length
    type: u1
    doc: Prefix length of the client's IPv6 network, at most 128.
    valid:
      max: 128
  - id: dns_count
    type: u1
    doc: Number of DNS servers that follow.
    -oxt-derive: dns_servers.size
  - id: dns_servers
    type: ip_address
    repeat: expr
    repeat-expr: dns_count
    doc: DNS servers the client should use inside the tunnel.
  - id: route_count
    type: u1
    doc: Number of routes that follow.
    -oxt-derive: routes.size
  - id: routes
    type: ip_prefix
    repeat: expr
    repeat-expr: route_count
    doc: Prefixes the client routes into the tunnel (empty = full tunnel, decided by the client config).
enums:
  cipher:
    1: chacha20_poly1305
    2: aes_256_gcm
