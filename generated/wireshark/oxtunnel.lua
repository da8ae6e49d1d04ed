-- Generated from spec/*.ksy by spec/codegen — do not edit; run `make generate`.
-- Wireshark dissector for OxTunnel v3: tshark -X lua_script:generated/wireshark/oxtunnel.lua -r FILE -V

local ox = Proto("oxtunnel", "OxTunnel v3")
local oxtcp = Proto("oxtunnel_tcp", "OxTunnel v3 over TCP")
local F = {}
F.data_envelope_magic = ProtoField.bytes("oxtunnel.data_envelope.magic", "magic", base.NONE, "Protocol magic 'OX'.")
F.data_envelope_flags = ProtoField.uint8("oxtunnel.data_envelope.flags", "flags", base.HEX, nil, nil, "Header flags. CONTROL only together with ENCRYPTED (0x09: the plaintext is a control_message); otherwise any of ENCRYPTED, COMPRESSED, BATCH, IPV6 (BATCH and IPV6 never together); reserved bits 0.")
F.data_envelope_flag_encrypted = ProtoField.bool("oxtunnel.data_envelope.flags.encrypted", "ENCRYPTED", 8, nil, 0x01)
F.data_envelope_flag_compressed = ProtoField.bool("oxtunnel.data_envelope.flags.compressed", "COMPRESSED", 8, nil, 0x02)
F.data_envelope_flag_batch = ProtoField.bool("oxtunnel.data_envelope.flags.batch", "BATCH", 8, nil, 0x04)
F.data_envelope_flag_control = ProtoField.bool("oxtunnel.data_envelope.flags.control", "CONTROL", 8, nil, 0x08)
F.data_envelope_flag_ipv6 = ProtoField.bool("oxtunnel.data_envelope.flags.ipv6", "IPV6", 8, nil, 0x10)
F.data_envelope_flag_reserved = ProtoField.uint8("oxtunnel.data_envelope.flags.reserved", "reserved", base.HEX, nil, 0xe0)
F.data_envelope_seq = ProtoField.uint32("oxtunnel.data_envelope.seq", "seq", base.DEC, nil, nil, "Low 32 bits of `counter` (checked against it).")
F.data_envelope_length = ProtoField.uint16("oxtunnel.data_envelope.length", "length", base.DEC, nil, nil, "Bytes after the header = 4 + 8 + body length + 16.")
F.data_envelope_receiver_index = ProtoField.uint32("oxtunnel.data_envelope.receiver_index", "receiver_index", base.DEC, nil, nil, "Index the receiver chose at handshake; finds the session independent of the source address.")
F.data_envelope_counter = ProtoField.uint64("oxtunnel.data_envelope.counter", "counter", base.DEC, nil, nil, "Per keypair and direction, starts at 0, never reused; below REJECT_AFTER_MESSAGES.")
F.data_envelope_body = ProtoField.bytes("oxtunnel.data_envelope.body", "body", base.NONE, "Ciphertext (ENCRYPTED) or authenticated plaintext of an IP packet, batch, compression envelope or control message.")
F.data_envelope_tag = ProtoField.bytes("oxtunnel.data_envelope.tag", "tag", base.NONE, "AEAD tag.")
F.handshake_init_magic = ProtoField.bytes("oxtunnel.handshake_init.magic", "magic", base.NONE, "Protocol magic 'OX'.")
F.handshake_init_flags = ProtoField.uint8("oxtunnel.handshake_init.flags", "flags", base.HEX, nil, nil, "CONTROL alone (0x08).")
F.handshake_init_flag_encrypted = ProtoField.bool("oxtunnel.handshake_init.flags.encrypted", "ENCRYPTED", 8, nil, 0x01)
F.handshake_init_flag_compressed = ProtoField.bool("oxtunnel.handshake_init.flags.compressed", "COMPRESSED", 8, nil, 0x02)
F.handshake_init_flag_batch = ProtoField.bool("oxtunnel.handshake_init.flags.batch", "BATCH", 8, nil, 0x04)
F.handshake_init_flag_control = ProtoField.bool("oxtunnel.handshake_init.flags.control", "CONTROL", 8, nil, 0x08)
F.handshake_init_flag_ipv6 = ProtoField.bool("oxtunnel.handshake_init.flags.ipv6", "IPV6", 8, nil, 0x10)
F.handshake_init_flag_reserved = ProtoField.uint8("oxtunnel.handshake_init.flags.reserved", "reserved", base.HEX, nil, 0xe0)
F.handshake_init_seq = ProtoField.uint32("oxtunnel.handshake_init.seq", "seq", base.DEC, nil, nil, "Always 0 in handshake messages.")
F.handshake_init_length = ProtoField.uint16("oxtunnel.handshake_init.length", "length", base.DEC, nil, nil, "Bytes after the header, always 149.")
F.handshake_init_control_type = ProtoField.uint8("oxtunnel.handshake_init.control_type", "control_type", base.DEC, {[1] = "HANDSHAKE_INIT", [2] = "HANDSHAKE_RESPONSE", [3] = "KEEPALIVE", [4] = "DISCONNECT", [5] = "ACK", [6] = "CONFIG_UPDATE", [7] = "KEY_ROTATION", [8] = "RESERVED_INIT_AUTH", [9] = "RESERVED_AUTH_REJECTED", [10] = "COOKIE_REPLY", [11] = "REKEY_REQUEST"}, nil, "HANDSHAKE_INIT (0x01).")
F.handshake_init_sender_index = ProtoField.uint32("oxtunnel.handshake_init.sender_index", "sender_index", base.DEC, nil, nil, "The client's receiver index for this session (the server puts it in envelopes to the client).")
F.handshake_init_ephemeral = ProtoField.bytes("oxtunnel.handshake_init.ephemeral", "ephemeral", base.NONE, "Noise `e`, the client's ephemeral X25519 public key.")
F.handshake_init_encrypted_static = ProtoField.bytes("oxtunnel.handshake_init.encrypted_static", "encrypted_static", base.NONE, "Noise `s`, the client's static public key encrypted (32 + 16 tag).")
F.handshake_init_encrypted_payload = ProtoField.bytes("oxtunnel.handshake_init.encrypted_payload", "encrypted_payload", base.NONE, "The encrypted init_payload (16 + 16 tag).")
F.handshake_init_mac1 = ProtoField.bytes("oxtunnel.handshake_init.mac1", "mac1", base.NONE, "MAC keyed by HASH('mac1----' ‖ server static key) over all bytes before mac1.")
F.handshake_init_mac2 = ProtoField.bytes("oxtunnel.handshake_init.mac2", "mac2", base.NONE, "MAC keyed by the cookie over all bytes before mac2, or 16 zero bytes.")
F.handshake_response_magic = ProtoField.bytes("oxtunnel.handshake_response.magic", "magic", base.NONE, "Protocol magic 'OX'.")
F.handshake_response_flags = ProtoField.uint8("oxtunnel.handshake_response.flags", "flags", base.HEX, nil, nil, "CONTROL alone (0x08).")
F.handshake_response_flag_encrypted = ProtoField.bool("oxtunnel.handshake_response.flags.encrypted", "ENCRYPTED", 8, nil, 0x01)
F.handshake_response_flag_compressed = ProtoField.bool("oxtunnel.handshake_response.flags.compressed", "COMPRESSED", 8, nil, 0x02)
F.handshake_response_flag_batch = ProtoField.bool("oxtunnel.handshake_response.flags.batch", "BATCH", 8, nil, 0x04)
F.handshake_response_flag_control = ProtoField.bool("oxtunnel.handshake_response.flags.control", "CONTROL", 8, nil, 0x08)
F.handshake_response_flag_ipv6 = ProtoField.bool("oxtunnel.handshake_response.flags.ipv6", "IPV6", 8, nil, 0x10)
F.handshake_response_flag_reserved = ProtoField.uint8("oxtunnel.handshake_response.flags.reserved", "reserved", base.HEX, nil, 0xe0)
F.handshake_response_seq = ProtoField.uint32("oxtunnel.handshake_response.seq", "seq", base.DEC, nil, nil, "Always 0 in handshake messages.")
F.handshake_response_length = ProtoField.uint16("oxtunnel.handshake_response.length", "length", base.DEC, nil, nil, "Bytes after the header = 73 + encrypted_payload length.")
F.handshake_response_control_type = ProtoField.uint8("oxtunnel.handshake_response.control_type", "control_type", base.DEC, {[1] = "HANDSHAKE_INIT", [2] = "HANDSHAKE_RESPONSE", [3] = "KEEPALIVE", [4] = "DISCONNECT", [5] = "ACK", [6] = "CONFIG_UPDATE", [7] = "KEY_ROTATION", [8] = "RESERVED_INIT_AUTH", [9] = "RESERVED_AUTH_REJECTED", [10] = "COOKIE_REPLY", [11] = "REKEY_REQUEST"}, nil, "HANDSHAKE_RESPONSE (0x02).")
F.handshake_response_sender_index = ProtoField.uint32("oxtunnel.handshake_response.sender_index", "sender_index", base.DEC, nil, nil, "The server's receiver index for this session (the client puts it in envelopes to the server).")
F.handshake_response_receiver_index = ProtoField.uint32("oxtunnel.handshake_response.receiver_index", "receiver_index", base.DEC, nil, nil, "The sender_index of the HANDSHAKE_INIT being answered.")
F.handshake_response_ephemeral = ProtoField.bytes("oxtunnel.handshake_response.ephemeral", "ephemeral", base.NONE, "Noise `e`, the server's ephemeral X25519 public key.")
F.handshake_response_encrypted_payload = ProtoField.bytes("oxtunnel.handshake_response.encrypted_payload", "encrypted_payload", base.NONE, "The encrypted session_config plus 16-byte tag (at least 31 + 16 bytes).")
F.handshake_response_mac1 = ProtoField.bytes("oxtunnel.handshake_response.mac1", "mac1", base.NONE, "MAC keyed by HASH('mac1----' ‖ client static key) over all bytes before mac1.")
F.handshake_response_mac2 = ProtoField.bytes("oxtunnel.handshake_response.mac2", "mac2", base.NONE, "MAC keyed by a cookie over all bytes before mac2, or 16 zero bytes.")
F.cookie_reply_magic = ProtoField.bytes("oxtunnel.cookie_reply.magic", "magic", base.NONE, "Protocol magic 'OX'.")
F.cookie_reply_flags = ProtoField.uint8("oxtunnel.cookie_reply.flags", "flags", base.HEX, nil, nil, "CONTROL alone (0x08).")
F.cookie_reply_flag_encrypted = ProtoField.bool("oxtunnel.cookie_reply.flags.encrypted", "ENCRYPTED", 8, nil, 0x01)
F.cookie_reply_flag_compressed = ProtoField.bool("oxtunnel.cookie_reply.flags.compressed", "COMPRESSED", 8, nil, 0x02)
F.cookie_reply_flag_batch = ProtoField.bool("oxtunnel.cookie_reply.flags.batch", "BATCH", 8, nil, 0x04)
F.cookie_reply_flag_control = ProtoField.bool("oxtunnel.cookie_reply.flags.control", "CONTROL", 8, nil, 0x08)
F.cookie_reply_flag_ipv6 = ProtoField.bool("oxtunnel.cookie_reply.flags.ipv6", "IPV6", 8, nil, 0x10)
F.cookie_reply_flag_reserved = ProtoField.uint8("oxtunnel.cookie_reply.flags.reserved", "reserved", base.HEX, nil, 0xe0)
F.cookie_reply_seq = ProtoField.uint32("oxtunnel.cookie_reply.seq", "seq", base.DEC, nil, nil, "Always 0 in handshake messages.")
F.cookie_reply_length = ProtoField.uint16("oxtunnel.cookie_reply.length", "length", base.DEC, nil, nil, "Bytes after the header, always 49.")
F.cookie_reply_control_type = ProtoField.uint8("oxtunnel.cookie_reply.control_type", "control_type", base.DEC, {[1] = "HANDSHAKE_INIT", [2] = "HANDSHAKE_RESPONSE", [3] = "KEEPALIVE", [4] = "DISCONNECT", [5] = "ACK", [6] = "CONFIG_UPDATE", [7] = "KEY_ROTATION", [8] = "RESERVED_INIT_AUTH", [9] = "RESERVED_AUTH_REJECTED", [10] = "COOKIE_REPLY", [11] = "REKEY_REQUEST"}, nil, "COOKIE_REPLY (0x0A).")
F.cookie_reply_receiver_index = ProtoField.uint32("oxtunnel.cookie_reply.receiver_index", "receiver_index", base.DEC, nil, nil, "The sender_index of the HANDSHAKE_INIT being answered.")
F.cookie_reply_nonce = ProtoField.bytes("oxtunnel.cookie_reply.nonce", "nonce", base.NONE, "Random AEAD nonce.")
F.cookie_reply_encrypted_cookie = ProtoField.bytes("oxtunnel.cookie_reply.encrypted_cookie", "encrypted_cookie", base.NONE, "The 16-byte cookie encrypted, plus 16-byte tag.")
F.header_magic = ProtoField.bytes("oxtunnel.header.magic", "magic", base.NONE, "Protocol magic 'OX' (0x4F58).")
F.header_flags = ProtoField.uint8("oxtunnel.header.flags", "flags", base.HEX, nil, nil, "Flag bits: 0x01 ENCRYPTED, 0x02 COMPRESSED, 0x04 BATCH, 0x08 CONTROL, 0x10 IPV6. Bits 0xE0 are reserved (sent as 0, a packet with one set is dropped). CONTROL appears only alone (handshake message) or with ENCRYPTED (authenticated control message); BATCH and IPV6 never together.")
F.header_flag_encrypted = ProtoField.bool("oxtunnel.header.flags.encrypted", "ENCRYPTED", 8, nil, 0x01)
F.header_flag_compressed = ProtoField.bool("oxtunnel.header.flags.compressed", "COMPRESSED", 8, nil, 0x02)
F.header_flag_batch = ProtoField.bool("oxtunnel.header.flags.batch", "BATCH", 8, nil, 0x04)
F.header_flag_control = ProtoField.bool("oxtunnel.header.flags.control", "CONTROL", 8, nil, 0x08)
F.header_flag_ipv6 = ProtoField.bool("oxtunnel.header.flags.ipv6", "IPV6", 8, nil, 0x10)
F.header_flag_reserved = ProtoField.uint8("oxtunnel.header.flags.reserved", "reserved", base.HEX, nil, 0xe0)
F.header_seq = ProtoField.uint32("oxtunnel.header.seq", "seq", base.DEC, nil, nil, "0 in handshake messages; in envelopes the low 32 bits of the envelope counter.")
F.header_length = ProtoField.uint16("oxtunnel.header.length", "length", base.DEC, nil, nil, "Bytes after the header (= datagram length − 9). At least 28 (the smallest envelope).")
F.tcp_frame_frame_length = ProtoField.uint16("oxtunnel.tcp_frame.frame_length", "frame_length", base.DEC, nil, nil, "Length of the datagram that follows, 9 … 65535.")
F.tcp_frame_datagram = ProtoField.bytes("oxtunnel.tcp_frame.datagram", "datagram", base.NONE, "One OxTunnel datagram (header included).")
local ef_truncated = ProtoExpert.new("oxtunnel.truncated", "Truncated", expert.group.MALFORMED, expert.severity.ERROR)
local ef_invalid = ProtoExpert.new("oxtunnel.invalid", "Violates the spec", expert.group.MALFORMED, expert.severity.WARN)
local ef_trailing = ProtoExpert.new("oxtunnel.trailing", "Trailing bytes", expert.group.MALFORMED, expert.severity.WARN)
ox.experts = { ef_truncated, ef_invalid, ef_trailing }
local all = {}
for _, field in pairs(F) do all[#all + 1] = field end
ox.fields = all

local function dissect_data_envelope(tvb, pinfo, tree)
    local t = tree:add(ox, tvb(), "OxTunnel v3 data envelope")
    local v, off, len = {}, 0, tvb:len()
    -- magic
    local n = 2
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "magic: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.data_envelope_magic, tvb(off, n))
    if tvb(off, n):bytes():tohex() ~= "4F58" then
        item:add_proto_expert_info(ef_invalid, "magic: expected 4f58")
    end
    off = off + n
    -- flags
    local n = 1
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "flags: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.data_envelope_flags, tvb(off, n))
    v.flags = tvb(off, n):uint()
    item:add(F.data_envelope_flag_encrypted, tvb(off, 1))
    item:add(F.data_envelope_flag_compressed, tvb(off, 1))
    item:add(F.data_envelope_flag_batch, tvb(off, 1))
    item:add(F.data_envelope_flag_control, tvb(off, 1))
    item:add(F.data_envelope_flag_ipv6, tvb(off, 1))
    item:add(F.data_envelope_flag_reserved, tvb(off, 1))
    if not ((((bit32.band(v.flags, 224) == 0) and (bit32.band(v.flags, 20) ~= 20)) and ((bit32.band(v.flags, 8) == 0) or (v.flags == 9)))) then
        item:add_proto_expert_info(ef_invalid, "flags: violates (_ & 0xe0) == 0 and (_ & 0x14) != 0x14 and ((_ & 0x08) == 0 or _ == 0x09)")
    end
    off = off + n
    -- seq
    local n = 4
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "seq: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.data_envelope_seq, tvb(off, n))
    v.seq = tvb(off, n):uint()
    off = off + n
    -- length
    local n = 2
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "length: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.data_envelope_length, tvb(off, n))
    v.length = tvb(off, n):uint()
    if not (v.length >= 28) then
        item:add_proto_expert_info(ef_invalid, "length: violates min 28")
    end
    if not (v.length <= 65526) then
        item:add_proto_expert_info(ef_invalid, "length: violates max 65526")
    end
    off = off + n
    -- receiver_index
    local n = 4
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "receiver_index: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.data_envelope_receiver_index, tvb(off, n))
    v.receiver_index = tvb(off, n):uint()
    off = off + n
    -- counter
    local n = 8
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "counter: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.data_envelope_counter, tvb(off, n))
    v.counter = tvb(off, n):uint64()
    if not (((v.counter:lower() == v.seq) and (v.counter < UInt64(4294959103, 4294967295)))) then
        item:add_proto_expert_info(ef_invalid, "counter: violates (_ & 0xffffffff) == seq and _ < 18446744073709543423")
    end
    off = off + n
    -- body
    local n = (v.length - 28)
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "body: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.data_envelope_body, tvb(off, n))
    if bit32.band(v.flags, 0x0f) == 0 and n > 0 then  -- authenticated plaintext IP packet
        local ipv = bit32.rshift(tvb(off, 1):uint(), 4)
        local d = Dissector.get(ipv == 6 and "ipv6" or "ip")
        if d then d:call(tvb(off, n):tvb(), pinfo, item) end
    end
    off = off + n
    -- tag
    local n = 16
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "tag: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.data_envelope_tag, tvb(off, n))
    off = off + n
    if off < len then
        t:add_proto_expert_info(ef_trailing, (len - off) .. " trailing bytes")
    end
    return off
end

local function dissect_handshake_init(tvb, pinfo, tree)
    local t = tree:add(ox, tvb(), "OxTunnel v3 HANDSHAKE_INIT (Noise IK message 1)")
    local v, off, len = {}, 0, tvb:len()
    -- magic
    local n = 2
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "magic: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_init_magic, tvb(off, n))
    if tvb(off, n):bytes():tohex() ~= "4F58" then
        item:add_proto_expert_info(ef_invalid, "magic: expected 4f58")
    end
    off = off + n
    -- flags
    local n = 1
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "flags: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_init_flags, tvb(off, n))
    v.flags = tvb(off, n):uint()
    item:add(F.handshake_init_flag_encrypted, tvb(off, 1))
    item:add(F.handshake_init_flag_compressed, tvb(off, 1))
    item:add(F.handshake_init_flag_batch, tvb(off, 1))
    item:add(F.handshake_init_flag_control, tvb(off, 1))
    item:add(F.handshake_init_flag_ipv6, tvb(off, 1))
    item:add(F.handshake_init_flag_reserved, tvb(off, 1))
    if not (v.flags == 8) then
        item:add_proto_expert_info(ef_invalid, "flags: violates eq 8")
    end
    off = off + n
    -- seq
    local n = 4
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "seq: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_init_seq, tvb(off, n))
    v.seq = tvb(off, n):uint()
    if not (v.seq == 0) then
        item:add_proto_expert_info(ef_invalid, "seq: violates eq 0")
    end
    off = off + n
    -- length
    local n = 2
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "length: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_init_length, tvb(off, n))
    v.length = tvb(off, n):uint()
    if not (v.length == 149) then
        item:add_proto_expert_info(ef_invalid, "length: violates eq 149")
    end
    off = off + n
    -- control_type
    local n = 1
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "control_type: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_init_control_type, tvb(off, n))
    v.control_type = tvb(off, n):uint()
    if not (v.control_type == 1) then
        item:add_proto_expert_info(ef_invalid, "control_type: violates eq 1")
    end
    off = off + n
    -- sender_index
    local n = 4
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "sender_index: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_init_sender_index, tvb(off, n))
    v.sender_index = tvb(off, n):uint()
    off = off + n
    -- ephemeral
    local n = 32
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "ephemeral: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_init_ephemeral, tvb(off, n))
    off = off + n
    -- encrypted_static
    local n = 48
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "encrypted_static: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_init_encrypted_static, tvb(off, n))
    off = off + n
    -- encrypted_payload
    local n = 32
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "encrypted_payload: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_init_encrypted_payload, tvb(off, n))
    off = off + n
    -- mac1
    local n = 16
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "mac1: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_init_mac1, tvb(off, n))
    off = off + n
    -- mac2
    local n = 16
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "mac2: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_init_mac2, tvb(off, n))
    off = off + n
    if off < len then
        t:add_proto_expert_info(ef_trailing, (len - off) .. " trailing bytes")
    end
    return off
end

local function dissect_handshake_response(tvb, pinfo, tree)
    local t = tree:add(ox, tvb(), "OxTunnel v3 HANDSHAKE_RESPONSE (Noise IK message 2)")
    local v, off, len = {}, 0, tvb:len()
    -- magic
    local n = 2
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "magic: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_response_magic, tvb(off, n))
    if tvb(off, n):bytes():tohex() ~= "4F58" then
        item:add_proto_expert_info(ef_invalid, "magic: expected 4f58")
    end
    off = off + n
    -- flags
    local n = 1
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "flags: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_response_flags, tvb(off, n))
    v.flags = tvb(off, n):uint()
    item:add(F.handshake_response_flag_encrypted, tvb(off, 1))
    item:add(F.handshake_response_flag_compressed, tvb(off, 1))
    item:add(F.handshake_response_flag_batch, tvb(off, 1))
    item:add(F.handshake_response_flag_control, tvb(off, 1))
    item:add(F.handshake_response_flag_ipv6, tvb(off, 1))
    item:add(F.handshake_response_flag_reserved, tvb(off, 1))
    if not (v.flags == 8) then
        item:add_proto_expert_info(ef_invalid, "flags: violates eq 8")
    end
    off = off + n
    -- seq
    local n = 4
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "seq: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_response_seq, tvb(off, n))
    v.seq = tvb(off, n):uint()
    if not (v.seq == 0) then
        item:add_proto_expert_info(ef_invalid, "seq: violates eq 0")
    end
    off = off + n
    -- length
    local n = 2
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "length: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_response_length, tvb(off, n))
    v.length = tvb(off, n):uint()
    if not (v.length >= 120) then
        item:add_proto_expert_info(ef_invalid, "length: violates min 120")
    end
    if not (v.length <= 65526) then
        item:add_proto_expert_info(ef_invalid, "length: violates max 65526")
    end
    off = off + n
    -- control_type
    local n = 1
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "control_type: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_response_control_type, tvb(off, n))
    v.control_type = tvb(off, n):uint()
    if not (v.control_type == 2) then
        item:add_proto_expert_info(ef_invalid, "control_type: violates eq 2")
    end
    off = off + n
    -- sender_index
    local n = 4
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "sender_index: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_response_sender_index, tvb(off, n))
    v.sender_index = tvb(off, n):uint()
    off = off + n
    -- receiver_index
    local n = 4
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "receiver_index: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_response_receiver_index, tvb(off, n))
    v.receiver_index = tvb(off, n):uint()
    off = off + n
    -- ephemeral
    local n = 32
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "ephemeral: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_response_ephemeral, tvb(off, n))
    off = off + n
    -- encrypted_payload
    local n = (v.length - 73)
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "encrypted_payload: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_response_encrypted_payload, tvb(off, n))
    off = off + n
    -- mac1
    local n = 16
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "mac1: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_response_mac1, tvb(off, n))
    off = off + n
    -- mac2
    local n = 16
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "mac2: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.handshake_response_mac2, tvb(off, n))
    off = off + n
    if off < len then
        t:add_proto_expert_info(ef_trailing, (len - off) .. " trailing bytes")
    end
    return off
end

local function dissect_cookie_reply(tvb, pinfo, tree)
    local t = tree:add(ox, tvb(), "OxTunnel v3 COOKIE_REPLY")
    local v, off, len = {}, 0, tvb:len()
    -- magic
    local n = 2
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "magic: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.cookie_reply_magic, tvb(off, n))
    if tvb(off, n):bytes():tohex() ~= "4F58" then
        item:add_proto_expert_info(ef_invalid, "magic: expected 4f58")
    end
    off = off + n
    -- flags
    local n = 1
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "flags: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.cookie_reply_flags, tvb(off, n))
    v.flags = tvb(off, n):uint()
    item:add(F.cookie_reply_flag_encrypted, tvb(off, 1))
    item:add(F.cookie_reply_flag_compressed, tvb(off, 1))
    item:add(F.cookie_reply_flag_batch, tvb(off, 1))
    item:add(F.cookie_reply_flag_control, tvb(off, 1))
    item:add(F.cookie_reply_flag_ipv6, tvb(off, 1))
    item:add(F.cookie_reply_flag_reserved, tvb(off, 1))
    if not (v.flags == 8) then
        item:add_proto_expert_info(ef_invalid, "flags: violates eq 8")
    end
    off = off + n
    -- seq
    local n = 4
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "seq: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.cookie_reply_seq, tvb(off, n))
    v.seq = tvb(off, n):uint()
    if not (v.seq == 0) then
        item:add_proto_expert_info(ef_invalid, "seq: violates eq 0")
    end
    off = off + n
    -- length
    local n = 2
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "length: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.cookie_reply_length, tvb(off, n))
    v.length = tvb(off, n):uint()
    if not (v.length == 49) then
        item:add_proto_expert_info(ef_invalid, "length: violates eq 49")
    end
    off = off + n
    -- control_type
    local n = 1
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "control_type: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.cookie_reply_control_type, tvb(off, n))
    v.control_type = tvb(off, n):uint()
    if not (v.control_type == 10) then
        item:add_proto_expert_info(ef_invalid, "control_type: violates eq 10")
    end
    off = off + n
    -- receiver_index
    local n = 4
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "receiver_index: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.cookie_reply_receiver_index, tvb(off, n))
    v.receiver_index = tvb(off, n):uint()
    off = off + n
    -- nonce
    local n = 12
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "nonce: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.cookie_reply_nonce, tvb(off, n))
    off = off + n
    -- encrypted_cookie
    local n = 32
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "encrypted_cookie: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.cookie_reply_encrypted_cookie, tvb(off, n))
    off = off + n
    if off < len then
        t:add_proto_expert_info(ef_trailing, (len - off) .. " trailing bytes")
    end
    return off
end

local function dissect_header(tvb, pinfo, tree)
    local t = tree:add(ox, tvb(), "OxTunnel v3 packet header")
    local v, off, len = {}, 0, tvb:len()
    -- magic
    local n = 2
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "magic: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.header_magic, tvb(off, n))
    if tvb(off, n):bytes():tohex() ~= "4F58" then
        item:add_proto_expert_info(ef_invalid, "magic: expected 4f58")
    end
    off = off + n
    -- flags
    local n = 1
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "flags: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.header_flags, tvb(off, n))
    v.flags = tvb(off, n):uint()
    item:add(F.header_flag_encrypted, tvb(off, 1))
    item:add(F.header_flag_compressed, tvb(off, 1))
    item:add(F.header_flag_batch, tvb(off, 1))
    item:add(F.header_flag_control, tvb(off, 1))
    item:add(F.header_flag_ipv6, tvb(off, 1))
    item:add(F.header_flag_reserved, tvb(off, 1))
    if not ((((bit32.band(v.flags, 224) == 0) and (bit32.band(v.flags, 20) ~= 20)) and (((bit32.band(v.flags, 8) == 0) or (v.flags == 8)) or (v.flags == 9)))) then
        item:add_proto_expert_info(ef_invalid, "flags: violates (_ & 0xe0) == 0 and (_ & 0x14) != 0x14 and ((_ & 0x08) == 0 or _ == 0x08 or _ == 0x09)")
    end
    off = off + n
    -- seq
    local n = 4
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "seq: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.header_seq, tvb(off, n))
    v.seq = tvb(off, n):uint()
    off = off + n
    -- length
    local n = 2
    if n < 0 or off + n > len then
        t:add_proto_expert_info(ef_truncated, "length: needs " .. n .. " bytes, " .. (len - off) .. " left")
        return off
    end
    local item = t:add(F.header_length, tvb(off, n))
    v.length = tvb(off, n):uint()
    if not (v.length >= 28) then
        item:add_proto_expert_info(ef_invalid, "length: violates min 28")
    end
    if not (v.length <= 65526) then
        item:add_proto_expert_info(ef_invalid, "length: violates max 65526")
    end
    off = off + n
    if off < len then
        t:add_proto_expert_info(ef_trailing, (len - off) .. " trailing bytes")
    end
    return off
end
local HANDSHAKES = { [1] = dissect_handshake_init, [2] = dissect_handshake_response, [10] = dissect_cookie_reply }
local KINDS = { [1] = "HANDSHAKE_INIT", [2] = "HANDSHAKE_RESPONSE", [10] = "COOKIE_REPLY" }

function ox.dissector(tvb, pinfo, tree)
    local len = tvb:len()
    if len < 3 or tvb(0, 2):uint() ~= 0x4f58 then return 0 end
    pinfo.cols.protocol = "OxTunnel"
    local flags = tvb(2, 1):uint()
    if flags == 0x08 then
        local kind = len > 9 and tvb(9, 1):uint() or -1
        local fn = HANDSHAKES[kind] or dissect_header
        pinfo.cols.info = (KINDS[kind] or "handshake (unknown type)") .. ", " .. len .. " bytes"
        fn(tvb, pinfo, tree)
    else
        local what = bit32.band(flags, 0x08) ~= 0 and "control envelope" or "data envelope"
        if len >= 21 then
            pinfo.cols.info = what .. " index=" .. tvb(9, 4):uint() .. " counter=" .. tostring(tvb(13, 8):uint64())
        else
            pinfo.cols.info = what .. " (truncated)"
        end
        dissect_data_envelope(tvb, pinfo, tree)
    end
    return len
end

function oxtcp.dissector(tvb, pinfo, tree)
    local off, len = 0, tvb:len()
    pinfo.cols.protocol = "OxTunnel/TCP"
    while off < len do
        if len - off < 2 then
            pinfo.desegment_offset = off
            pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
            return len
        end
        local n = tvb(off, 2):uint()
        if len - off - 2 < n then
            pinfo.desegment_offset = off
            pinfo.desegment_len = n + 2 - (len - off)
            return len
        end
        local ft = tree:add(oxtcp, tvb(off, n + 2), "TCP stream frame")
        ft:add(F.tcp_frame_frame_length, tvb(off, 2))
        local dt = ft:add(F.tcp_frame_datagram, tvb(off + 2, n))
        if n >= 9 then ox.dissector(tvb(off + 2, n):tvb(), pinfo, dt) end
        off = off + 2 + n
    end
    return len
end

DissectorTable.get("udp.port"):add(51820, ox)
DissectorTable.get("tcp.port"):add(51821, oxtcp)
