#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target to fuzz/corpus/<target>/ (run from anywhere).

The files are committed; this script documents how they were made and can make them again.
A file's name says what it holds. Files named `finding-*` are inputs that once made a
target fail (kept by hand, not written here; this script leaves them alone). Layout of the first bytes of each target's input: see the
doc comment of its LLVMFuzzerTestOneInput in fuzz/Sources/<target>/.
"""
import json
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    directory = os.path.join(ROOT, target)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


# --- MessageDecoder: one WAMP message (JSON text) per file -------------------------------------
WAMP = {
    "hello": '[1,"realm1",{"roles":{"caller":{},"callee":{"features":{"progressive_call_results":true}},"publisher":{},"subscriber":{}},"authmethods":["anonymous"]}]',
    "welcome": '[2,9129137332,{"roles":{"broker":{},"dealer":{}},"authid":"a","authrole":"anonymous"}]',
    "abort": '[3,{"message":"The realm does not exist."},"wamp.error.no_such_realm"]',
    "challenge": '[4,"ticket",{}]',
    "authenticate": '[5,"secret",{}]',
    "goodbye": '[6,{},"wamp.close.close_realm"]',
    "error": '[8,48,7814135,{},"com.myapp.error.object_write_protected",["Object is write protected."],{"severity":3}]',
    "error_no_payload": '[8,32,713845233,{},"wamp.error.not_authorized"]',
    "publish": '[16,239714735,{"acknowledge":true,"exclude":[1,2],"eligible":[3]},"com.myapp.mytopic1",["Hello, world!"],{"color":"orange","sizes":[23,42,7]}]',
    "publish_retain": '[16,1,{"retain":true},"com.r.a",["x"]]',
    "published": '[17,239714735,4429313566]',
    "subscribe": '[32,713845233,{"match":"prefix","get_retained":true},"com.myapp"]',
    "subscribe_wildcard": '[32,2,{"match":"wildcard"},"com..topic"]',
    "subscribed": '[33,713845233,5512315355]',
    "unsubscribe": '[34,85346237,5512315355]',
    "unsubscribed": '[35,85346237]',
    "unsubscribed_details": '[35,0,{"subscription":5512315355,"reason":"wamp.subscription.revoked"}]',
    "event": '[36,5512315355,4429313566,{"publisher":1},["Hello, world!"],{"a":{"b":[1.5,-2,null,true,false]}}]',
    "call": '[48,7814135,{"timeout":1000,"receive_progress":true},"com.myapp.user.new",["johnny"],{"firstname":"John","surname":"Doe"}]',
    "call_ppt": '[48,7,{"ppt_scheme":"x_custom","ppt_serializer":"native"},"com.p",["\\u00e9\\ud83d\\ude00"]]',
    "cancel": '[49,7814135,{"mode":"killnowait"}]',
    "result": '[50,7814135,{"progress":true},[30],{"userid":123,"karma":10}]',
    "register": '[64,25349185,{"match":"prefix","invoke":"roundrobin"},"com.myapp.myprocedure1"]',
    "registered": '[65,25349185,2103333224]',
    "unregister": '[66,788923562,2103333224]',
    "unregistered": '[67,788923562]',
    "unregistered_details": '[67,0,{"registration":2103333224,"reason":"wamp.registration.revoked"}]',
    "invocation": '[68,6131533,9823526,{"caller":1,"procedure":"com.p"},["Hello, world!"]]',
    "interrupt": '[69,6131533,{"mode":"kill"}]',
    "yield": '[70,6131533,{"progress":true},["Hello, world!"],{}]',
    "big_integer_payload": '[16,1,{"acknowledge":true,"exclude":[5]},"com.t",[123456789012345678901234567890]]',
    "deep_payload": '[16,1,{},"com.t",[' + "[" * 60 + "]" * 60 + "]]",
    "escapes": '[16,1,{},"com.t",["\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000"],{"k\\u0000":1}]',
}
MALFORMED = {
    "bad_empty": "",
    "bad_not_json": "[1,\"realm1\",{}",
    "bad_not_array": '{"a":1}',
    "bad_empty_array": "[]",
    "bad_code_string": '["1","realm1",{}]',
    "bad_code_unknown": '[99,"realm1",{}]',
    "bad_arity": '[1,"realm1"]',
    "bad_id_zero": "[17,0,1]",
    "bad_id_too_big": "[17,9007199254740993,1]",
    "bad_id_negative": "[17,-1,1]",
    "bad_id_real": "[17,1.0,1]",
    "bad_details_type": '[1,"realm1",[]]',
    "bad_args_type": '[16,1,{},"com.t",{"a":1}]',
    "bad_kwargs_type": '[16,1,{},"com.t",[],[]]',
    "bad_error_type": '[8,99,1,{},"wamp.error.x"]',
    "bad_trailing": '[6,{},"wamp.close.normal"] x',
    "bad_utf8": b'[16,1,{},"com.t",["\xc3\x28"]]',
    "bad_nul": b'[16,1,{},"com.t",["a\x00b"]]',
    "bad_duplicate_key": '[16,1,{"acknowledge":true,"acknowledge":false},"com.t"]',
    "bad_huge_exponent": '[16,1,{},"com.t",[1e999]]',
}
for name, text in {**WAMP, **MALFORMED}.items():
    write("FuzzMessageDecoder", name, text)


# --- MsgpackMessageDecoder: one wamp.2.msgpack message (or any MessagePack value) per file ---------
class Bin(bytes):
    """A MessagePack bin (plain `bytes` here are written as bin too; this marks intent)."""


class Raw(bytes):
    """Bytes written as they are (hand-made headers, malformed items)."""


def msgpack(value):
    """MessagePack in the smallest format for each value, floats as float64."""
    def header(count, fix, widths):
        if fix is not None and count <= fix[1]:
            return bytes([fix[0] | count])
        for code, size in zip(widths, (1, 2, 4)):
            if code is not None and count < 1 << (8 * size):
                return bytes([code]) + count.to_bytes(size, "big")
        raise ValueError("too long")
    if isinstance(value, Raw):
        return bytes(value)
    if value is None:
        return b"\xc0"
    if value is True or value is False:
        return b"\xc3" if value else b"\xc2"
    if isinstance(value, int):
        if 0 <= value <= 0x7F or -32 <= value < 0:
            return struct.pack(">b" if value < 0 else ">B", value)
        if value >= 0:
            for code, fmt, limit in ((0xCC, ">B", 1 << 8), (0xCD, ">H", 1 << 16), (0xCE, ">I", 1 << 32), (0xCF, ">Q", 1 << 64)):
                if value < limit:
                    return bytes([code]) + struct.pack(fmt, value)
        for code, fmt, limit in ((0xD0, ">b", 1 << 7), (0xD1, ">h", 1 << 15), (0xD2, ">i", 1 << 31), (0xD3, ">q", 1 << 63)):
            if value >= -limit:
                return bytes([code]) + struct.pack(fmt, value)
        raise ValueError("integer beyond 64 bits")
    if isinstance(value, float):
        return b"\xcb" + struct.pack(">d", value)
    if isinstance(value, str):
        data = value.encode()
        return header(len(data), (0xA0, 31), (0xD9, 0xDA, 0xDB)) + data
    if isinstance(value, bytes):
        return header(len(value), None, (0xC4, 0xC5, 0xC6)) + value
    if isinstance(value, list):
        return header(len(value), (0x90, 15), (None, 0xDC, 0xDD)) + b"".join(msgpack(v) for v in value)
    if isinstance(value, dict):
        return header(len(value), (0x80, 15), (None, 0xDE, 0xDF)) + b"".join(msgpack(k) + msgpack(v) for k, v in value.items())
    raise TypeError(type(value))


MSGPACK = {name: msgpack(json.loads(text)) for name, text in WAMP.items() if name != "big_integer_payload"}
MSGPACK.update({
    "binary_payload": msgpack([16, 1, {}, "com.t", [Bin(b"\x00\x01\xfe\xff"), Bin(b"")], {"b": Bin(bytes(range(40)))}]),
    "binary_details": msgpack([36, 1, 2, {"ppt_keyid": Bin(b"\x01\x02\x03")}, [1]]),
    "uint64_payload": msgpack([50, 1, {}, [2**64 - 1, -2**63, 2**63, 0.1, -0.0]]),
    "float32_payload": msgpack([70, 1, {}, [Raw(b"\xca\x3d\xcc\xcc\xcd")]]),
    "wide_formats": Raw(b"\xdc\x00\x03\xcd\x00\x11\xcf\x00\x00\x00\x00\x00\x00\x00\x01\xce\x00\x00\x00\x02"),
    "str8_topic": msgpack([32, 3, {}, Raw(b"\xd9\x05com.t")]),
    "bad_uint64_id": msgpack([48, 2**64 - 1, {}, "com.a"]),
    "bad_truncated": msgpack(json.loads(WAMP["call"]))[:-3],
    "bad_str32_huge": Raw(b"\x95\x30\x01\x80\xa1a\xdb\xff\xff\xff\xff\x01\x02"),
    "bad_array32_huge": Raw(b"\xdd\xff\xff\xff\xff\x30\x01"),
    "bad_map32_huge": msgpack([16, 1, {}, "t", [Raw(b"\xdf\xff\xff\xff\xff")]]),
    "bad_bin32_huge": msgpack([16, 1, {}, "t", [Raw(b"\xc6\xff\xff\xff\xff\x00")]]),
    "bad_ext": msgpack([16, 1, {"x": Raw(b"\xd4\x01\x00")}, "t"]),
    "bad_utf8": msgpack([32, 1, {}, Raw(b"\xa2\xc0\xaf")]),
    "bad_int_key": msgpack([16, 1, {}, "t", [], Raw(b"\x81\x01\x02")]),
    "bad_code_string": msgpack(["48", 1, {}, "com.a"]),
    "bad_not_array": msgpack({"a": 1}),
    "bad_deep": msgpack([16, 1, {}, "t", [Raw(b"\x91" * 3000 + b"\xc0")]]),
    "value_nan_map": msgpack({"n": Raw(b"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00"), "e": []}),
})
for name, data in MSGPACK.items():
    write("FuzzMsgpackDecoder", name, data)


# --- WebSocket frames: flags byte, two seed bytes, then the wire bytes ----------------------------
def frame(opcode, payload=b"", fin=True, rsv1=False, mask=b"\x37\xfa\x21\x3d", rsv2=False):
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | (0x20 if rsv2 else 0) | opcode
    length = len(payload)
    masked = mask is not None
    if length < 126:
        header = struct.pack("!BB", first, (0x80 if masked else 0) | length)
    elif length < 65536:
        header = struct.pack("!BBH", first, (0x80 if masked else 0) | 126, length)
    else:
        header = struct.pack("!BBQ", first, (0x80 if masked else 0) | 127, length)
    if masked:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        header += mask
    return header + payload


def deflate_message(data, wbits=15):
    c = zlib.compressobj(1, zlib.DEFLATED, -wbits)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def frames_input(flags, wire, seed=b"\x5a\xa5"):
    return bytes([flags]) + seed + wire


SERVER, CLIENT, DEFLATE, NO_TAKEOVER = 0, 1, 2, 4
SIZE_125, SIZE_1000, SIZE_70000, SIZE_16M = 0 << 3, 1 << 3, 2 << 3, 3 << 3
READ = {1: 0 << 5, 2: 1 << 5, 3: 2 << 5, 7: 3 << 5, 16: 4 << 5, 64: 5 << 5, 512: 6 << 5, "all": 7 << 5}
hello = WAMP["hello"].encode()
FRAMES = {
    "text_masked": frames_input(SERVER | SIZE_16M | READ["all"], frame(1, hello)),
    "text_masked_bytewise": frames_input(SERVER | SIZE_16M | READ[1], frame(1, hello)),
    "text_unmasked_client": frames_input(CLIENT | SIZE_16M | READ[7], frame(1, hello, mask=None)),
    "binary_masked": frames_input(SERVER | SIZE_1000 | READ[3], frame(2, bytes(range(256)))),
    "fragmented_text": frames_input(
        SERVER | SIZE_1000 | READ[2],
        frame(1, "héllo ".encode()[:3], fin=False) + frame(0, "héllo ".encode()[3:], fin=False) + frame(0, b"world"),
    ),
    "fragmented_with_ping": frames_input(
        SERVER | SIZE_1000 | READ[16], frame(1, b"ab", fin=False) + frame(9, b"ping") + frame(0, b"cd")
    ),
    "ping_pong": frames_input(SERVER | SIZE_125 | READ[64], frame(9, b"hello") + frame(10, b"")),
    "close_normal": frames_input(SERVER | SIZE_125 | READ["all"], frame(8, struct.pack("!H", 1000) + b"bye")),
    "close_empty": frames_input(SERVER | SIZE_125 | READ[1], frame(8, b"")),
    "close_bad_code": frames_input(SERVER | SIZE_125 | READ[3], frame(8, struct.pack("!H", 1005))),
    "close_bad_utf8": frames_input(SERVER | SIZE_125 | READ[3], frame(8, struct.pack("!H", 1000) + b"\xff")),
    "close_one_byte": frames_input(SERVER | SIZE_125 | READ[3], frame(8, b"\x03")),
    "length_16bit": frames_input(SERVER | SIZE_1000 | READ[512], frame(2, b"x" * 300)),
    "length_64bit": frames_input(SERVER | SIZE_70000 | READ[512], frame(2, b"y" * 65536)[:600]),
    "length_msb_set": frames_input(SERVER | SIZE_16M | READ["all"], b"\x82\xff" + b"\x80" + b"\x00" * 7 + b"abcd"),
    "too_large": frames_input(SERVER | SIZE_125 | READ["all"], frame(2, b"z" * 126)),
    "unmasked_to_server": frames_input(SERVER | SIZE_1000 | READ[7], frame(1, b"abc", mask=None)),
    "masked_to_client": frames_input(CLIENT | SIZE_1000 | READ[7], frame(1, b"abc")),
    "rsv2_set": frames_input(SERVER | SIZE_1000 | READ[7], frame(1, b"abc", rsv2=True)),
    "unknown_opcode": frames_input(SERVER | SIZE_1000 | READ[7], frame(3, b"abc")),
    "continuation_first": frames_input(SERVER | SIZE_1000 | READ[7], frame(0, b"abc")),
    "fragmented_control": frames_input(SERVER | SIZE_1000 | READ[7], frame(9, b"abc", fin=False)),
    "bad_utf8_mid_frame": frames_input(SERVER | SIZE_1000 | READ[3], frame(1, b"abc\xce\xba\xe1\xbd\xb9\xcf\x83\xed\xa0\x80def")),
    "utf8_split_sequence": frames_input(
        SERVER | SIZE_1000 | READ[1], frame(1, "κόσμε".encode()[:3], fin=False) + frame(0, "κόσμε".encode()[3:])
    ),
    "utf8_truncated_end": frames_input(SERVER | SIZE_1000 | READ[2], frame(1, b"ab\xf0\x9f\x98")),
    "deflate_text": frames_input(SERVER | DEFLATE | SIZE_1000 | READ[7], frame(1, deflate_message(hello), rsv1=True)),
    "deflate_fragmented": frames_input(
        SERVER | DEFLATE | NO_TAKEOVER | SIZE_1000 | READ[3],
        (lambda d: frame(1, d[:5], fin=False, rsv1=True) + frame(0, d[5:]))(deflate_message(hello)),
    ),
    "deflate_two_messages_takeover": frames_input(
        CLIENT | DEFLATE | SIZE_1000 | READ[16],
        (lambda c: frame(1, c[0], rsv1=True, mask=None) + frame(1, c[1], rsv1=True, mask=None))(
            (lambda z: [z.compress(hello) + z.flush(zlib.Z_SYNC_FLUSH), z.compress(hello) + z.flush(zlib.Z_SYNC_FLUSH)])(
                zlib.compressobj(1, zlib.DEFLATED, -15)
            )
        ),
    ),
    "deflate_bomb_small_limit": frames_input(
        SERVER | DEFLATE | SIZE_125 | READ[64], frame(2, deflate_message(b"\x00" * 4096), rsv1=True)
    ),
    "deflate_without_negotiation": frames_input(SERVER | SIZE_1000 | READ[7], frame(1, deflate_message(hello), rsv1=True)),
    "deflate_corrupt": frames_input(SERVER | DEFLATE | SIZE_1000 | READ[7], frame(2, b"\xff\xff\xff\xff\xff", rsv1=True)),
    "deflate_bad_utf8": frames_input(SERVER | DEFLATE | SIZE_1000 | READ[7], frame(1, deflate_message(b"ab\xc0\xafcd"), rsv1=True)),
    "failure_then_close": frames_input(
        SERVER | SIZE_1000 | READ[7], frame(3, b"x") + frame(1, b"ignored") + frame(8, struct.pack("!H", 1000))
    ),
}
for name, data in FRAMES.items():
    write("FuzzWebSocketFrames", name, data)


# --- permessage-deflate: flags byte, seed byte, then compressed data or a message -------------------
RAW, ROUND_TRIP = 0, 1
LIMIT = {0: 0 << 2, 1: 1 << 2, 100: 2 << 2, 4096: 3 << 2}
text = ("[36,5512315355,4429313566,{},[\"Hello, world!\"]]" * 4).encode()
DEFLATE_SEEDS = {
    "stream_text": bytes([RAW | LIMIT[4096], 7]) + deflate_message(text),
    "stream_small_window": bytes([RAW | LIMIT[4096], 3]) + deflate_message(text, wbits=9),
    "stream_over_limit": bytes([RAW | LIMIT[100], 9]) + deflate_message(text),
    "stream_bomb": bytes([RAW | LIMIT[4096], 1]) + deflate_message(b"\x00" * 200000),
    "stream_limit_zero": bytes([RAW | LIMIT[0], 5]) + deflate_message(b"a"),
    # A peer that ends its deflate stream (BFINAL) and starts another inside one message.
    "stream_bfinal": bytes([RAW | LIMIT[4096], 2])
    + (lambda c: c.compress(text) + c.flush(zlib.Z_FINISH))(zlib.compressobj(1, zlib.DEFLATED, -15))
    + deflate_message(text),
    "stream_stored_block": bytes([RAW | LIMIT[100], 4]) + b"\x00\x05\x00\xfa\xffhello",
    "stream_corrupt": bytes([RAW | LIMIT[4096], 8]) + b"\xfe\xff\xff\xff\x00\x01",
    "stream_no_takeover": bytes([RAW | 2 | LIMIT[4096], 6]) + deflate_message(text) + deflate_message(text),
    "round_trip_text": bytes([ROUND_TRIP | LIMIT[4096] | 6 << 4, 0]) + text,
    "round_trip_over_limit": bytes([ROUND_TRIP | LIMIT[100] | 0 << 4, 0]) + text,
    "round_trip_empty": bytes([ROUND_TRIP | LIMIT[0], 0]),
    "round_trip_binary": bytes([ROUND_TRIP | 2 | LIMIT[4096] | 3 << 4, 0]) + bytes(range(256)) * 4,
}
for name, data in DEFLATE_SEEDS.items():
    write("FuzzPerMessageDeflate", name, data)


# --- upgrade negotiation: flags byte, then header lines --------------------------------------------
ACCEPT_DEFLATE, REQUIRE, TWO = 1, 2, 4


def upgrade(flags, *lines):
    base = ["Host: 127.0.0.1:8080", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]
    return bytes([flags]) + "\r\n".join(base + list(lines)).encode() + b"\r\n"


UPGRADE = {
    "wamp_json": upgrade(ACCEPT_DEFLATE | REQUIRE, "Sec-WebSocket-Protocol: wamp.2.json"),
    "two_protocols": upgrade(REQUIRE | TWO, "Sec-WebSocket-Protocol: wamp.2.msgpack, wamp.2.json"),
    "protocol_repeated": upgrade(REQUIRE | TWO, "Sec-WebSocket-Protocol: foo", "Sec-WebSocket-Protocol: ,, wamp.2.json ,"),
    "no_protocol_required": upgrade(REQUIRE),
    "no_protocol_optional": upgrade(0),
    "deflate_plain": upgrade(ACCEPT_DEFLATE, "Sec-WebSocket-Extensions: permessage-deflate"),
    "deflate_browser": upgrade(ACCEPT_DEFLATE, "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"),
    "deflate_autobahn": upgrade(
        ACCEPT_DEFLATE,
        "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=9; client_max_window_bits=10, permessage-deflate",
    ),
    "deflate_quoted": upgrade(ACCEPT_DEFLATE, 'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits="12"'),
    "deflate_bad_bits": upgrade(ACCEPT_DEFLATE, "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=08, "
                                "permessage-deflate; client_max_window_bits=16, permessage-deflate; server_max_window_bits"),
    "deflate_duplicate_param": upgrade(ACCEPT_DEFLATE, "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; client_no_context_takeover"),
    "deflate_unknown_param": upgrade(ACCEPT_DEFLATE, "Sec-WebSocket-Extensions: permessage-deflate; x=1, x-webkit-deflate-frame"),
    "deflate_case": upgrade(ACCEPT_DEFLATE, "sec-websocket-extensions: PerMessage-Deflate; Server_No_Context_Takeover"),
    "deflate_repeated_header": upgrade(ACCEPT_DEFLATE, "Sec-WebSocket-Extensions: foo; a=\"b\\\"c\"", "Sec-WebSocket-Extensions: permessage-deflate"),
    "extensions_malformed": upgrade(ACCEPT_DEFLATE, "Sec-WebSocket-Extensions: ; permessage-deflate;; =, \"x"),
    "extensions_unterminated": upgrade(ACCEPT_DEFLATE, 'Sec-WebSocket-Extensions: permessage-deflate; a="b'),
    "extensions_empty": upgrade(ACCEPT_DEFLATE, "Sec-WebSocket-Extensions:   "),
}
for name, data in UPGRADE.items():
    write("FuzzUpgradeNegotiation", name, data)


# --- Origin policy: flags byte (bit 0: allow null), patterns (LF), NUL, Origin values (LF) ----------
ALLOW_NULL = 1


def origins(flags, patterns, values):
    return bytes([flags]) + "\n".join(patterns).encode() + b"\x00" + "\n".join(values).encode()


ORIGIN = {
    "any_origin": origins(0, ["*"], ["https://example.com", "http://localhost:8080", "null", "not an origin"]),
    "exact_default_port": origins(0, ["https://example.com"], ["https://example.com:443", "https://EXAMPLE.com",
                                                               "https://example.com:8443", "http://example.com"]),
    "explicit_default_port": origins(0, ["http://example.com:80"], ["http://example.com", "http://example.com/path"]),
    "subdomains": origins(0, ["https://*.example.com"], ["https://a.example.com", "https://a.b.example.com:443",
                                                         "https://example.com", "https://evil.com/.example.com"]),
    "any_port": origins(0, ["http://localhost:*", "http://127.0.0.1:*"], ["http://localhost:3000", "http://localhost",
                                                                          "http://127.0.0.1:65535", "http://127.0.0.1:65536"]),
    "any_scheme": origins(0, ["*://example.com:*"], ["ws://example.com", "wss://example.com:9000", "ftp://example.com"]),
    "ipv6": origins(0, ["http://[::1]:*"], ["http://[::1]:8080", "http://[::1]", "http://[::1", "http://::1:80"]),
    "userinfo": origins(0, ["https://good.example"], ["https://good.example@evil.example", "https://good.example"]),
    "null_allowed": origins(ALLOW_NULL, ["https://example.com"], ["null", "NULL", "file:///etc/passwd", " null "]),
    "null_refused": origins(0, ["https://example.com"], ["null", "file://host"]),
    "bad_patterns": origins(0, ["https://example.com/path", "http://example.com:99999"], ["https://example.com"]),
    "empty_pattern": origins(0, [""], ["https://example.com"]),
    "two_headers": origins(0, ["*"], ["https://a.example", "https://b.example"]),
    "blanks_and_case": origins(0, ["HTTPS://Example.COM"], [" \thttps://example.com\t", "hTTps://eXample.com:443/"]),
    "stars": origins(0, ["*a*b*c*", "h*p://*.*:8*"], ["http://aXbYc:80", "http://x.y:8080", "http://abc:80"]),
    "no_separator": bytes([0]) + b"https://example.com\nnull\nhttp://[x]:1",
    "odd_scheme": origins(0, ["chrome-extension://abcdef"], ["chrome-extension://abcdef", "chrome-extension://abcdef:1",
                                                             "1+x.-://h", "://h", "http:/h"]),
}
for name, data in ORIGIN.items():
    write("FuzzOriginPolicy", name, data)


# --- authentication: flags byte, then HELLO, AUTHENTICATE and the authenticator's answer (LF) -----
# The values of fuzz/Sources/FuzzAuthentication/AuthFixture.swift: fixed "random" bytes, clock and
# session make every challenge known here, so valid signatures can be written.
import base64
import hashlib
import hmac
import json

DYNAMIC, REFUSED, TIMEOUT, NO_PROCEDURE, BOUND, POKE = 1, 1 << 1, 2 << 1, 3 << 1, 8, 16
SESSION = 1234567
TIMESTAMP = "2023-11-14T22:13:20.000Z"  # 1_700_000_000_000 ms
BINDING = bytes(0xA0 + i for i in range(32))
KEY_SEEDS = ["9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
             "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"]
# RFC 8032 test 1 and 2 public keys.
PUBKEYS = ["d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
           "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"]


def fixed_random(count):
    return bytes((i * 131 + 17) & 0xFF for i in range(count))


def hello_text(realm="realm1", **details):
    return json.dumps([1, realm, {"roles": {"caller": {}, "subscriber": {}}, **details}], separators=(",", ":"))


def authenticate_text(signature, extra=None):
    return json.dumps([5, signature, extra or {}], separators=(",", ":"))


def session_input(flags, hello, authenticate="", answer=None):
    parts = [hello, authenticate] + ([json.dumps(answer, separators=(",", ":"))] if answer is not None else [])
    return bytes([flags]) + "\n".join(parts).encode()


def wampcra_signature(authid, authrole, authprovider, secret, salt=None, iterations=1000, keylen=32):
    challenge = json.dumps({"authid": authid, "authrole": authrole, "authmethod": "wampcra",
                            "authprovider": authprovider, "nonce": base64.b64encode(fixed_random(48)).decode(),
                            "timestamp": TIMESTAMP, "session": SESSION}, separators=(",", ":"))
    key = secret.encode()
    if salt is not None:
        key = base64.b64encode(hashlib.pbkdf2_hmac("sha256", key, salt.encode(), iterations, keylen))
    return base64.b64encode(hmac.new(key, challenge.encode(), hashlib.sha256).digest()).decode()


def cryptosign_signature(key_index, bound=False):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    message = fixed_random(32)
    if bound:
        message = bytes(a ^ b for a, b in zip(message, BINDING))
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(KEY_SEEDS[key_index]))
    return (key.sign(message) + message).hex()


def ticket_hello(authid, **more):
    return hello_text(authmethods=["ticket"], authid=authid, **more)


AUTH = {
    "anonymous": session_input(0, WAMP["hello"]),
    "anonymous_no_methods": session_input(0, hello_text()),
    "anonymous_no_such_realm": session_input(0, hello_text("nowhere")),
    "no_common_method": session_input(0, hello_text(authmethods=["scram", "foo"])),
    "method_order": session_input(0, hello_text(authmethods=["foo", "ticket", "anonymous"], authid="alice"),
                                  authenticate_text("tkt-alice-7Q")),
    "malformed_authmethods": session_input(0, hello_text(authmethods="ticket")),
    "malformed_authextra": session_input(0, hello_text(authmethods=["cryptosign"], authextra=[1])),
    "ticket_right": session_input(0, ticket_hello("alice"), authenticate_text("tkt-alice-7Q")),
    "ticket_wrong": session_input(0, ticket_hello("alice"), authenticate_text("tkt-alice-7q")),
    "ticket_other_principal": session_input(0, ticket_hello("alice"), authenticate_text("tkt-bob-3Z")),
    "ticket_unknown_authid": session_input(0, ticket_hello("mallory"), authenticate_text("tkt-alice-7Q")),
    "ticket_no_authid": session_input(0, hello_text(authmethods=["ticket"]), authenticate_text("tkt-alice-7Q")),
    "ticket_principal_realm": session_input(0, ticket_hello("bob"), authenticate_text("tkt-bob-3Z")),
    "ticket_missing_role": session_input(0, ticket_hello("carol"), authenticate_text("tkt-carol-9K")),
    "ticket_escaped": session_input(0, ticket_hello("alice"), authenticate_text("tkt-\\u0061lice-7Q").replace("\\\\", "\\")),
    "ticket_no_authenticate": session_input(POKE, ticket_hello("alice")),
    "ticket_then_poke": session_input(POKE, ticket_hello("alice"), authenticate_text("tkt-alice-7Q")),
    "wampcra_right": session_input(0, hello_text(authmethods=["wampcra"], authid="joe"),
                                   authenticate_text(wampcra_signature("joe", "frontend", "static", "cra-joe-S3"))),
    "wampcra_wrong": session_input(0, hello_text(authmethods=["wampcra"], authid="joe"),
                                   authenticate_text(wampcra_signature("joe", "frontend", "static", "cra-joe-s3"))),
    "wampcra_salted_right": session_input(0, hello_text(authmethods=["wampcra"], authid="peter"), authenticate_text(
        wampcra_signature("peter", "user", "static", "cra-peter-P1", "salt123", 2, 32))),
    "wampcra_salted_unsalted_signature": session_input(0, hello_text(authmethods=["wampcra"], authid="peter"),
                                                       authenticate_text(wampcra_signature("peter", "user", "static", "cra-peter-P1"))),
    "wampcra_salted_keylen16_right": session_input(0, hello_text(authmethods=["wampcra", "ticket"], authid="ann"), authenticate_text(
        wampcra_signature("ann", "backend", "static", "cra-ann-A5", "pepper", 1, 16))),
    "wampcra_unknown_user": session_input(0, hello_text(authmethods=["wampcra"], authid="nobody"), authenticate_text("x")),
    "dynamic_anonymous": session_input(DYNAMIC, WAMP["hello"], "", "anonymous"),
    "dynamic_anonymous_dict": session_input(DYNAMIC, hello_text(authmethods=["anonymous"]), "",
                                            {"role": "user", "realm": "realm2", "authid": "x", "extra": {"a": [1]}}),
    "dynamic_ticket": session_input(DYNAMIC, ticket_hello("alice"), authenticate_text("any ticket"), {"role": "user"}),
    "dynamic_ticket_no_role": session_input(DYNAMIC, ticket_hello("alice"), authenticate_text("t"), {"realm": "realm1"}),
    "dynamic_ticket_bad_answer": session_input(DYNAMIC, ticket_hello("alice"), authenticate_text("t"), [1, 2]),
    "dynamic_ticket_refused": session_input(DYNAMIC | REFUSED, ticket_hello("alice"), authenticate_text("t"), "user"),
    "dynamic_ticket_timeout": session_input(DYNAMIC | TIMEOUT, ticket_hello("alice"), authenticate_text("t")),
    "dynamic_ticket_no_procedure": session_input(DYNAMIC | NO_PROCEDURE | POKE, ticket_hello("alice"), authenticate_text("t")),
    "dynamic_wampcra": session_input(DYNAMIC, hello_text(authmethods=["wampcra"], authid="dyn"), authenticate_text(
        wampcra_signature("dyn", "user", "dynamic", "s3cret")), {"secret": "s3cret", "role": "user"}),
    "dynamic_wampcra_salted": session_input(DYNAMIC, hello_text(authmethods=["wampcra"], authid="dyn"), authenticate_text(
        wampcra_signature("other", "frontend", "dynamic", "pw", "nacl", 2, 20)),
        {"secret": "pw", "role": "frontend", "authid": "other", "salt": "nacl", "iterations": 2, "keylen": 20}),
    "dynamic_wampcra_no_secret": session_input(DYNAMIC, hello_text(authmethods=["wampcra"], authid="dyn"), authenticate_text("x"),
                                               {"role": "user"}),
    "dynamic_wampcra_bad_iterations": session_input(DYNAMIC, hello_text(authmethods=["wampcra"], authid="dyn"), authenticate_text("x"),
                                                    {"secret": "s", "role": "user", "salt": "s", "iterations": 0}),
    "dynamic_wampcra_poke": session_input(DYNAMIC | POKE, hello_text(authmethods=["wampcra"], authid="dyn"), "", {"secret": "s", "role": "user"}),
}
try:
    AUTH.update({
        "cryptosign_right": session_input(0, hello_text(authmethods=["cryptosign"], authid="client1",
                                                        authextra={"pubkey": PUBKEYS[0]}), authenticate_text(cryptosign_signature(0))),
        "cryptosign_key_only": session_input(0, hello_text(authmethods=["cryptosign"], authextra={"pubkey": PUBKEYS[1].upper()}),
                                             authenticate_text(cryptosign_signature(1))),
        "cryptosign_wrong_key": session_input(0, hello_text(authmethods=["cryptosign"], authid="client1",
                                                            authextra={"pubkey": PUBKEYS[1]}), authenticate_text(cryptosign_signature(1))),
        "cryptosign_bad_signature": session_input(0, hello_text(authmethods=["cryptosign"], authextra={"pubkey": PUBKEYS[0]}),
                                                  authenticate_text(cryptosign_signature(1))),
        "cryptosign_bound": session_input(BOUND, hello_text(authmethods=["cryptosign"], authextra={
            "pubkey": PUBKEYS[0], "channel_binding": "tls-exporter"}), authenticate_text(cryptosign_signature(0, bound=True))),
        "cryptosign_bound_unbound_signature": session_input(BOUND, hello_text(authmethods=["cryptosign"], authextra={
            "pubkey": PUBKEYS[0], "channel_binding": "tls-exporter"}), authenticate_text(cryptosign_signature(0))),
        "cryptosign_binding_unavailable": session_input(0, hello_text(authmethods=["cryptosign"], authextra={
            "pubkey": PUBKEYS[0], "channel_binding": "tls-unique"}), authenticate_text(cryptosign_signature(0))),
        "dynamic_cryptosign": session_input(DYNAMIC, hello_text(authmethods=["cryptosign"], authid="dyn",
                                                                authextra={"pubkey": PUBKEYS[1]}),
                                            authenticate_text(cryptosign_signature(1)), {"pubkey": PUBKEYS[1], "role": "backend"}),
    })
except ImportError:
    print("seeds: cryptosign seeds need the 'cryptography' package; skipped")
for name, data in AUTH.items():
    write("FuzzAuthentication", name, data)

if __name__ == "__main__":
    for target in sorted(os.listdir(ROOT)):
        print(target, len(os.listdir(os.path.join(ROOT, target))), "files")


# --- CBOR decoder: one wamp.2.cbor message (or any CBOR value) per file ---------------------------
def cbor_head(major, argument):
    if argument < 24:
        return bytes([major << 5 | argument])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            return bytes([major << 5 | info]) + argument.to_bytes(size, "big")
    raise ValueError("beyond 64 bits")


def cbor(value):
    if value is None:
        return b"\xf6"
    if value is True or value is False:
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return cbor_head(0, value) if value >= 0 else cbor_head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, bytes):
        return cbor_head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode()
        return cbor_head(3, len(data)) + data
    if isinstance(value, list):
        return cbor_head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        return cbor_head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(value)


CBOR_SEEDS = {
    "hello": cbor([1, "realm1", {"roles": {"caller": {}, "subscriber": {}}, "authmethods": ["anonymous"]}]),
    "welcome": cbor([2, 9129137332, {"roles": {"broker": {}, "dealer": {}}}]),
    "error": cbor([8, 48, 7814135, {}, "com.myapp.error", ["Object is write protected."], {"severity": 3}]),
    "publish": cbor([16, 239714735, {"acknowledge": True, "exclude": [1, 2]}, "com.myapp.topic1",
                     ["Hello, world!", 1.5, -300, b"\x00\x01\xff"], {"color": "orange", "sizes": [23, 42, 7]}]),
    "publish_binary_option": cbor([16, 1, {"key": b"\x00\x01\x02\xff"}, "com.t"]),
    "subscribe": cbor([32, 713845233, {"match": "prefix"}, "com.myapp"]),
    "unsubscribed_details": cbor([35, 0, {"subscription": 5512315355, "reason": "wamp.subscription.revoked"}]),
    "call": cbor([48, 7814135, {"timeout": 1000}, "com.myapp.user.new", ["johnny"], {"firstname": "John"}]),
    "result_half_float": bytes.fromhex("8418321a00773bf7a081f93e00"),
    "yield_kwargs_only": cbor([70, 6131533, {}, [], {"a": {"b": [None, True, False, 0.1]}}]),
    "indefinite": bytes.fromhex("9f1001bf616101ff7f62636f636d2e74ff9f5f4101ffffbfffff"),
    "self_describe": bytes.fromhex("d9d9f7831101") + cbor(2),
    "big_integers": cbor([48, 1, {"timeout": 2**64 - 1}, "p", [2**64 - 1, -2**63]]),
    "tags_in_payload": bytes.fromhex("861001a06174" "82c11a514b67b0f7" "a10102"),
    "bad_truncated": cbor([16, 1, {}, "com.t", ["abc"]])[:-2],
    "bad_reserved_info": bytes.fromhex("8311011c"),
    "bad_utf8": bytes.fromhex("841001a062c328"),
    "bad_chunk": bytes.fromhex("851001a06174817f4161ff"),
    "bad_stray_break": bytes.fromhex("831101ff"),
    "bad_huge_array": bytes.fromhex("851001a061749bffffffffffffffff"),
    "bad_huge_string": bytes.fromhex("841001a07bffffffffffffffff"),
    "bad_deep": bytes.fromhex("851001a06174") + b"\x81" * 2100 + b"\x80",
    "bad_tag_in_options": bytes.fromhex("8301667265616c6d31a16161c100"),
    "bad_id_too_big": cbor([17, 2**64 - 1, 1]),
}
for name, data in CBOR_SEEDS.items():
    write("FuzzCBORDecoder", name, data)


# --- NATSParser: byte 0 is where the stream is cut in two, the rest is what a server sends ------
def nats_hmsg(subject, sid, block, payload, reply=None):
    reply_part = f" {reply}" if reply else ""
    return f"HMSG {subject} {sid}{reply_part} {len(block)} {len(block) + len(payload)}\r\n{block}{payload}\r\n"


NATS_SEEDS = {
    "info": '\x10INFO {"server_id":"NA","version":"2.9.10","max_payload":1048576,"headers":true,"jetstream":true}\r\n',
    "control": "\x03PING\r\nPONG\r\n+OK\r\n-ERR 'Authorization Violation'\r\n",
    "msg": "\x07MSG a.b 1 5\r\nhello\r\nMSG a.c 2 _INBOX.x.1 0\r\n\r\n",
    "hmsg": "\x20" + nats_hmsg("$KV.b.k", 3, "NATS/1.0\r\nKV-Operation: DEL\r\nX: 1\r\nX: 2\r\n\r\n", "v", "$JS.ACK.KV_b.c.1.5.1.0.0"),
    "no_responders": "\x05" + nats_hmsg("_INBOX.x.1", 4, "NATS/1.0 503\r\n\r\n", ""),
    "heartbeat": "\x09" + nats_hmsg("_INBOX.y", 5, "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 2\r\nNats-Last-Stream: 9\r\n\r\n", ""),
    "small_max_payload": '\x00INFO {"server_id":"x","max_payload":4}\r\nMSG a 1 5\r\nhello\r\n',
    "bad_size": "\x02MSG a 1 99999999999\r\n",
    "bad_terminator": "\x02MSG a 1 1\r\nxyz",
    "bad_header_size": "\x02HMSG a 1 9 3\r\nabc\r\n",
    "bad_operation": "\x01HELLO\r\n",
    "long_line": "\x00" + "MSG " + "a" * 5000 + "\r\n",
}
for name, data in NATS_SEEDS.items():
    write("FuzzNATSParser", name, data)


# --- HTTP bridge request: byte 0 (even: topic, odd: procedure), request target, "\n", body ------
def bridge_signature(key, timestamp, seq, nonce, body, secret=b"kkjH68GiuUZ"):
    import base64, hashlib, hmac
    message = key.encode() + timestamp.encode() + seq.encode() + nonce.encode() + body
    return base64.urlsafe_b64encode(hmac.new(secret, message, hashlib.sha256).digest()).decode()


BRIDGE_BODY = b'{"topic": "com.example.news", "args": ["hello"], "kwargs": {"n": 1}, "options": {"exclude": [1]}}'
BRIDGE_TS = "2011-10-14T16:59:51.123Z"
BRIDGE_SEEDS = {
    "publish_plain": b"\x00/publish\n" + BRIDGE_BODY,
    "call_plain": b"\x01/call\n" + b'{"procedure": "com.example.add", "args": [2, 3]}',
    "signed_right": b"\x00/signed?key=foobar&timestamp=" + BRIDGE_TS.encode() + b"&seq=1&nonce=77&signature="
                    + bridge_signature("foobar", BRIDGE_TS, "1", "77", BRIDGE_BODY).encode() + b"\n" + BRIDGE_BODY,
    "signed_wrong": b"\x00/signed?key=foobar&timestamp=" + BRIDGE_TS.encode() + b"&seq=1&nonce=77&signature=AAAA\n" + BRIDGE_BODY,
    "query_escapes": b"\x00/p?a=%41%2b+b&a=second&%zz=1&=empty&flag&timestamp=2011-10-14T16%3A59%3A51.1Z\n{}",
    "query_many": b"\x00/p?" + b"&".join(b"k%d=%d" % (i, i) for i in range(80)) + b"\n{}",
    "timestamp_leap": b"\x00/p?key=foobar&timestamp=2012-02-29T23:59:59.999999Z&seq=-1&nonce=+2&signature=x\n",
    "body_bad_types": b"\x01/call\n" + b'{"procedure": 5, "args": {}, "kwargs": [], "options": 3}',
    "body_nulls": b"\x01/call\n" + b'{"procedure": "p", "args": null, "kwargs": null, "options": null}',
    "body_not_utf8": b"\x00/p\n" + b'{"topic": "\xc3\x28"}',
    "body_deep": b"\x00/p\n" + b'{"topic": "t", "args": ' + b"[" * 3000 + b"]" * 3000 + b"}",
}
for name, data in BRIDGE_SEEDS.items():
    write("FuzzHTTPBridgeRequest", name, data)


# --- Admin credentials: Authorization header values, one a line ------------------------------
def basic(text):
    import base64
    return "Basic " + base64.b64encode(text.encode()).decode()


ADMIN_SEEDS = {
    "bearer_right": "Bearer s3cr3t-t0ken",
    "bearer_case_spaces": "bEaReR   s3cr3t-t0ken \t",
    "bearer_wrong": "Bearer s3cr3t-t0ke",
    "basic_right": basic("admin:pw:with:colons"),
    "basic_wrong": basic("admin:pw"),
    "basic_unpadded": basic("admin:pw:with:colons").rstrip("="),
    "basic_not_base64": "Basic !!!***",
    "several": "Digest x\n" + basic("other:x") + "\nBearer s3cr3t-t0ken",
    "empty": "",
    "scheme_only": "Basic",
    "tab_separated": "Bearer\ts3cr3t-t0ken",
}
for name, data in ADMIN_SEEDS.items():
    write("FuzzAdminCredentials", name, data)
