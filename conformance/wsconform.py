#!/usr/bin/env python3
"""An independent RFC 6455 / RFC 7692 conformance client in the style of the Autobahn TestSuite.

It shares no code with ActorSocket: its own handshake, framing, masking, UTF-8 and deflate
handling (Python's standard library only). It runs about a hundred cases against an echo
endpoint and checks the server's behaviour: messages echoed unchanged, pings answered, and every
violation failed with the right close code (1002 protocol error, 1007 invalid UTF-8).

Usage: wsconform.py ws://127.0.0.1:8080/echo [--cases PREFIX] [--verbose]
Exit status 0 when every case passes; prints one line per case and a summary
"N passed, N failed".
"""
import base64
import hashlib
import os
import re
import socket
import struct
import sys
import time
import zlib
from urllib.parse import urlparse

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TIMEOUT = 5.0

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class Fail(Exception):
    pass


class Conn:
    def __init__(self, url, extensions=None):
        u = urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        head = (f"GET {u.path or '/'} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n")
        if extensions:
            head += f"Sec-WebSocket-Extensions: {extensions}\r\n"
        self.sock.sendall((head + "\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Fail("connection closed during handshake")
            self.buf += chunk
        response, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = response.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise Fail("handshake refused: " + lines[0])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        expected = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        if headers.get("sec-websocket-accept") != expected:
            raise Fail("wrong Sec-WebSocket-Accept")
        self.extensions = headers.get("sec-websocket-extensions", "")
        self.deflate = self.extensions.startswith("permessage-deflate")
        self.server_no_context = "server_no_context_takeover" in self.extensions
        self.inflater = zlib.decompressobj(-15)
        # RFC 7692 7.1.2.2: a client that offered client_max_window_bits compresses with the window
        # the server's answer names.
        window = re.search(r"client_max_window_bits=(\d+)", self.extensions)
        self.client_window = int(window.group(1)) if window else 15
        self.deflater = zlib.compressobj(6, zlib.DEFLATED, -self.client_window)
        self.client_no_context = False

    # --- sending -----------------------------------------------------------------------
    @staticmethod
    def frame(opcode, payload=b"", fin=True, rsv=0, mask=True, length=None):
        n = len(payload) if length is None else length
        first = (0x80 if fin else 0) | (rsv << 4) | opcode
        mbit = 0x80 if mask else 0
        if n <= 125:
            head = struct.pack("!BB", first, mbit | n)
        elif n <= 0xFFFF:
            head = struct.pack("!BBH", first, mbit | 126, n)
        else:
            head = struct.pack("!BBQ", first, mbit | 127, n)
        if not mask:
            return head + payload
        key = os.urandom(4)
        masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload)) if len(payload) < 4096 else _mask(payload, key)
        return head + key + masked

    def send(self, data, chop=None):
        if chop is None:
            self.sock.sendall(data)
        else:
            for i in range(0, len(data), chop):
                self.sock.sendall(data[i:i + chop])

    def send_frame(self, opcode, payload=b"", fin=True, rsv=0, chop=None):
        self.send(self.frame(opcode, payload, fin, rsv), chop)

    def compress(self, payload):
        if self.client_no_context:
            c = zlib.compressobj(6, zlib.DEFLATED, -self.client_window)
            data = c.compress(payload) + c.flush(zlib.Z_SYNC_FLUSH)
        else:
            data = self.deflater.compress(payload) + self.deflater.flush(zlib.Z_SYNC_FLUSH)
        assert data.endswith(b"\x00\x00\xff\xff")
        return data[:-4]

    # --- receiving ---------------------------------------------------------------------
    def _read(self, n):
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise Fail("timed out waiting for the server")
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return None
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_frame(self):
        head = self._read(2)
        if head is None:
            return None
        b1, b2 = head
        if b2 & 0x80:
            raise Fail("server frame is masked")
        n = b2 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        payload = self._read(n) if n else b""
        if payload is None:
            raise Fail("connection closed inside a frame")
        return bool(b1 & 0x80), (b1 >> 4) & 0x7, b1 & 0xF, payload

    def read_event(self):
        """Next message, pong or close from the server; pings are answered."""
        message, kind, compressed = b"", None, False
        while True:
            f = self.read_frame()
            if f is None:
                return ("eof", None)
            fin, rsv, opcode, payload = f
            if opcode == PING:
                self.send_frame(PONG, payload)
                continue
            if opcode == PONG:
                return ("pong", payload)
            if opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                return ("close", (code, payload[2:]))
            if opcode in (TEXT, BINARY):
                kind, message, compressed = opcode, payload, bool(rsv & 0x4)
            elif opcode == CONT:
                message += payload
            else:
                raise Fail(f"server sent opcode {opcode}")
            if fin:
                if compressed:
                    if not self.deflate:
                        raise Fail("compressed message without deflate")
                    if self.server_no_context:
                        self.inflater = zlib.decompressobj(-15)
                    message = self.inflater.decompress(message + b"\x00\x00\xff\xff")
                if kind == TEXT:
                    message.decode("utf-8")  # a server must never send invalid text
                return ("text" if kind == TEXT else "binary", message)

    def expect_message(self, kind, payload):
        event = self.read_event()
        if event != (kind, payload):
            shown = (event[0], event[1][:40] if isinstance(event[1], bytes) else event[1])
            raise Fail(f"expected {kind} of {len(payload)} bytes, got {shown}")

    def expect_fail(self, codes):
        """The server must fail the connection: a close frame with one of `codes`, then TCP closed."""
        while True:
            event = self.read_event()
            if event[0] == "close":
                if event[1][0] not in codes:
                    raise Fail(f"closed with {event[1][0]}, expected one of {codes}")
                break
            if event[0] == "eof":
                raise Fail("connection dropped without a close frame")
        self.expect_tcp_closed()

    def expect_tcp_closed(self):
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                break
            except ConnectionResetError:
                return
            if not chunk:
                return
        raise Fail("server did not close TCP")

    def close(self, code=1000, reason=b""):
        """Clean close: send ours, expect the server to echo the code and close TCP."""
        self.send_frame(CLOSE, struct.pack("!H", code) + reason)
        while True:
            event = self.read_event()
            if event[0] == "close":
                if event[1][0] != code:
                    raise Fail(f"close echoed {event[1][0]}, expected {code}")
                break
            if event[0] == "eof":
                raise Fail("no close frame in answer")
        self.expect_tcp_closed()
        self.sock.close()


def _mask(payload, key):
    k = int.from_bytes(key * 2, "little")
    n = len(payload)
    whole = n - n % 8
    ints = memoryview(payload[:whole]).cast("Q")
    out = bytearray(n)
    outints = memoryview(out)[:whole].cast("Q")
    for i, v in enumerate(ints):
        outints[i] = v ^ k
    for i in range(whole, n):
        out[i] = payload[i] ^ key[i % 4]
    return bytes(out)


CASES = []


def case(name):
    def register(fn):
        CASES.append((name, fn))
        return fn
    return register


# 1 Framing: echo of text and binary at the length-encoding boundaries.
for i, n in enumerate([0, 125, 126, 127, 128, 65535, 65536, 200000], 1):
    def text_case(url, n=n):
        c = Conn(url)
        data = ("*" * n).encode()
        c.send_frame(TEXT, data)
        c.expect_message("text", data)
        c.close()

    def binary_case(url, n=n):
        c = Conn(url)
        data = bytes((j * 31) & 0xFF for j in range(n))
        c.send_frame(BINARY, data)
        c.expect_message("binary", data)
        c.close()
    case(f"1.1.{i} text of {n} bytes")(text_case)
    case(f"1.2.{i} binary of {n} bytes")(binary_case)

@case("1.1.9 text of 65535 bytes written one byte... in 997-byte chops")
def _(url):
    c = Conn(url)
    data = b"*" * 65535
    c.send(c.frame(TEXT, data), chop=997)
    c.expect_message("text", data)
    c.close()


# 2 Pings and pongs.
@case("2.1 ping without payload is answered")
def _(url):
    c = Conn(url)
    c.send_frame(PING)
    if c.read_event() != ("pong", b""):
        raise Fail("no pong")
    c.close()

for i, payload in enumerate([b"Hello, world!", bytes([0, 255, 254, 253, 252, 251, 250, 249]), b"*" * 125], 2):
    def ping_case(url, payload=payload):
        c = Conn(url)
        c.send_frame(PING, payload)
        if c.read_event() != ("pong", payload):
            raise Fail("pong payload differs")
        c.close()
    case(f"2.{i} ping with a {len(payload)}-byte payload is answered with it")(ping_case)

@case("2.5 ping with 126 bytes fails with 1002")
def _(url):
    c = Conn(url)
    c.send(Conn.frame(PING, b"*" * 126))
    c.expect_fail({1002})

@case("2.6 ping of 125 bytes sent in 1-byte chops")
def _(url):
    c = Conn(url)
    c.send(c.frame(PING, b"*" * 125), chop=1)
    if c.read_event() != ("pong", b"*" * 125):
        raise Fail("no pong")
    c.close()

@case("2.7 unsolicited pong without payload is ignored")
def _(url):
    c = Conn(url)
    c.send_frame(PONG)
    c.close()

@case("2.8 unsolicited pong with payload is ignored")
def _(url):
    c = Conn(url)
    c.send_frame(PONG, b"unsolicited")
    c.close()

@case("2.9 unsolicited pong then ping: only the ping is answered")
def _(url):
    c = Conn(url)
    c.send_frame(PONG, b"unsolicited")
    c.send_frame(PING, b"solicited")
    if c.read_event() != ("pong", b"solicited"):
        raise Fail("wrong pong")
    c.close()

@case("2.10 ten pings in a row get ten pongs in order")
def _(url):
    c = Conn(url)
    for i in range(10):
        c.send_frame(PING, b"ping %d" % i)
    for i in range(10):
        if c.read_event() != ("pong", b"ping %d" % i):
            raise Fail("pong %d missing" % i)
    c.close()

@case("2.11 ten pings chopped into 1-byte writes get ten pongs")
def _(url):
    c = Conn(url)
    for i in range(10):
        c.send(c.frame(PING, b"ping %d" % i), chop=1)
    for i in range(10):
        if c.read_event() != ("pong", b"ping %d" % i):
            raise Fail("pong %d missing" % i)
    c.close()


# 3 Reserved bits.
for i, (rsv, opcode, before) in enumerate([(1, TEXT, False), (2, TEXT, True), (3, TEXT, True), (4, BINARY, False),
                                           (5, PING, False), (6, TEXT, True), (7, CLOSE, False)], 1):
    def rsv_case(url, rsv=rsv, opcode=opcode, before=before):
        c = Conn(url)
        if before:
            c.send_frame(TEXT, b"before")
        c.send_frame(opcode, b"payload" if opcode != CLOSE else struct.pack("!H", 1000), rsv=rsv)
        if before:
            c.expect_message("text", b"before")
        c.expect_fail({1002})
    case(f"3.{i} RSV={rsv} on opcode {opcode} fails with 1002")(rsv_case)


# 4 Reserved opcodes.
for i, opcode in enumerate([3, 4, 5, 6, 7], 1):
    def op_case(url, opcode=opcode):
        c = Conn(url)
        c.send_frame(TEXT, b"before")
        c.send_frame(opcode, b"payload")
        c.expect_message("text", b"before")
        c.expect_fail({1002})
    case(f"4.1.{i} reserved non-control opcode {opcode} fails with 1002")(op_case)
for i, opcode in enumerate([0xB, 0xC, 0xD, 0xE, 0xF], 1):
    def cop_case(url, opcode=opcode):
        c = Conn(url)
        c.send_frame(TEXT, b"before")
        c.send_frame(opcode, b"")
        c.expect_message("text", b"before")
        c.expect_fail({1002})
    case(f"4.2.{i} reserved control opcode {opcode:#x} fails with 1002")(cop_case)


# 5 Fragmentation.
@case("5.1 fragmented ping fails with 1002")
def _(url):
    c = Conn(url)
    c.send_frame(PING, b"frag", fin=False)
    c.send_frame(CONT, b"ment", fin=True)
    c.expect_fail({1002})

@case("5.2 fragmented pong fails with 1002")
def _(url):
    c = Conn(url)
    c.send_frame(PONG, b"frag", fin=False)
    c.send_frame(CONT, b"ment", fin=True)
    c.expect_fail({1002})

for i, chop in enumerate([None, 1], 3):
    def frag_case(url, chop=chop):
        c = Conn(url)
        c.send_frame(TEXT, b"frag", fin=False, chop=chop)
        c.send_frame(CONT, b"ment", fin=True, chop=chop)
        c.expect_message("text", b"fragment")
        c.close()
    case(f"5.{i} text in two fragments{' chopped into bytes' if chop else ''} is echoed whole")(frag_case)

for i, chop in enumerate([None, 1], 6):
    def frag_ping_case(url, chop=chop):
        c = Conn(url)
        c.send_frame(TEXT, b"frag", fin=False, chop=chop)
        c.send_frame(PING, b"in between", chop=chop)
        c.send_frame(CONT, b"ment", fin=True, chop=chop)
        if c.read_event() != ("pong", b"in between"):
            raise Fail("pong missing")
        c.expect_message("text", b"fragment")
        c.close()
    case(f"5.{i} ping between fragments{' chopped' if chop else ''} is answered, message echoed")(frag_ping_case)

for i, (fin, chop) in enumerate([(True, None), (True, 1), (False, None), (False, 1)], 9):
    def lone_cont(url, fin=fin, chop=chop):
        c = Conn(url)
        c.send_frame(CONT, b"nothing to continue", fin=fin, chop=chop)
        c.send_frame(TEXT, b"ignored")
        c.expect_fail({1002})
    case(f"5.{i} continuation (fin={fin}) without a message fails with 1002")(lone_cont)

@case("5.15 a new text message inside a fragmented one fails after the first is echoed")
def _(url):
    c = Conn(url)
    c.send_frame(TEXT, b"one", fin=False)
    c.send_frame(CONT, b"two", fin=True)
    c.send_frame(CONT, b"three", fin=False)
    c.send_frame(TEXT, b"four", fin=True)
    c.expect_message("text", b"onetwo")
    c.expect_fail({1002})

@case("5.16 text start inside a text message fails with 1002")
def _(url):
    c = Conn(url)
    c.send_frame(TEXT, b"one", fin=False)
    c.send_frame(TEXT, b"two", fin=True)
    c.expect_fail({1002})

@case("5.17 binary start inside a text message fails with 1002")
def _(url):
    c = Conn(url)
    c.send_frame(TEXT, b"one", fin=False)
    c.send_frame(BINARY, b"two", fin=True)
    c.expect_fail({1002})

@case("5.18 a message of 100 one-byte fragments is echoed whole")
def _(url):
    c = Conn(url)
    data = bytes(range(100))
    for i in range(100):
        c.send_frame(BINARY if i == 0 else CONT, data[i:i + 1], fin=(i == 99))
    c.expect_message("binary", data)
    c.close()

@case("5.19 fragments with pings between them, all answered")
def _(url):
    c = Conn(url)
    # As Autobahn 5.19: every ping precedes the final fragment, so every pong precedes the echo.
    for i in range(5):
        c.send_frame(TEXT if i == 0 else CONT, b"frag%d" % i, fin=False)
        c.send_frame(PING, b"p%d" % i)
    c.send_frame(CONT, b"", fin=True)
    for i in range(5):
        if c.read_event() != ("pong", b"p%d" % i):
            raise Fail("pong missing")
    c.expect_message("text", b"frag0frag1frag2frag3frag4")
    c.close()

@case("5.20 empty fragments make an empty message")
def _(url):
    c = Conn(url)
    c.send_frame(TEXT, b"", fin=False)
    c.send_frame(CONT, b"", fin=False)
    c.send_frame(CONT, b"", fin=True)
    c.expect_message("text", b"")
    c.close()


# 6 UTF-8.
VALID = [
    ("6.2 Hello-µ@ßöäüàá-UTF-8!!", "Hello-µ@ßöäüàá-UTF-8!!".encode()),
    ("6.5.1 κόσμε", "κόσμε".encode()),
    ("6.7.1 first 1-byte", b"\x00"), ("6.7.2 first 2-byte", b"\xc2\x80"),
    ("6.7.3 first 3-byte", b"\xe0\xa0\x80"), ("6.7.4 first 4-byte", b"\xf0\x90\x80\x80"),
    ("6.9.1 last 1-byte", b"\x7f"), ("6.9.2 last 2-byte", b"\xdf\xbf"), ("6.9.3 last 3-byte", b"\xef\xbf\xbf"),
    ("6.9.4 last valid 4-byte U+10FFFF", b"\xf4\x8f\xbf\xbf"),
    ("6.11.1 U+D7FF", b"\xed\x9f\xbf"), ("6.11.2 U+E000", b"\xee\x80\x80"), ("6.11.3 U+FFFD", b"\xef\xbf\xbd"),
    ("6.22.1 noncharacter U+FFFE", b"\xef\xbf\xbe"), ("6.22.2 noncharacter U+1FFFF", b"\xf0\x9f\xbf\xbf"),
    ("6.23.1 emoji", "😀 grinning".encode()),
]
INVALID = [
    ("6.3.1 invalid in the middle", "κόσμε".encode() + b"\xed\xa0\x80" + b"edited"),
    ("6.6.1 lone continuation", b"\x80"), ("6.6.2 lone 0xbf", b"\xbf"),
    ("6.8.1 5-byte form", b"\xf8\x88\x80\x80\x80"), ("6.8.2 6-byte form", b"\xfc\x84\x80\x80\x80\x80"),
    ("6.10.1 above U+10FFFF", b"\xf4\x90\x80\x80"), ("6.10.2 0xf7 lead", b"\xf7\xbf\xbf\xbf"),
    ("6.12.1 unexpected continuation run", b"\x80\xbf\x80\xbf"),
    ("6.13.1 lead without continuation", b"\xc0\x20"), ("6.13.2 3-byte lead then space", b"\xe0\x80\x20"),
    ("6.14.1 truncated 2-byte at end", b"\xc2"), ("6.14.2 truncated 3-byte at end", b"\xe0\xa0"),
    ("6.14.3 truncated 4-byte at end", b"\xf0\x90\x80"),
    ("6.16.1 0xfe", b"\xfe"), ("6.16.2 0xff", b"\xff"),
    ("6.17.1 overlong slash 2-byte", b"\xc0\xaf"), ("6.17.2 overlong slash 3-byte", b"\xe0\x80\xaf"),
    ("6.17.3 overlong slash 4-byte", b"\xf0\x80\x80\xaf"),
    ("6.18.1 overlong max 2-byte", b"\xc1\xbf"), ("6.18.2 overlong NUL 3-byte", b"\xe0\x80\x80"),
    ("6.19.1 surrogate U+D800", b"\xed\xa0\x80"), ("6.19.2 surrogate U+DFFF", b"\xed\xbf\xbf"),
    ("6.20.1 surrogate pair", b"\xed\xa0\x80\xed\xb0\x80"),
]

for name, data in VALID:
    def valid_case(url, data=data):
        c = Conn(url)
        c.send_frame(TEXT, data)
        c.expect_message("text", data)
        # and one fragment per byte
        for i in range(len(data)):
            c.send_frame(TEXT if i == 0 else CONT, data[i:i + 1], fin=(i == len(data) - 1))
        if data:
            c.expect_message("text", data)
        c.close()
    case(f"{name}: valid text echoed whole and byte-fragmented")(valid_case)

for name, data in INVALID:
    def invalid_case(url, data=data):
        c = Conn(url)
        c.send_frame(TEXT, data)
        c.expect_fail({1007})
    case(f"{name}: invalid text fails with 1007")(invalid_case)

@case("6.4.1 fail fast: the invalid fragment fails before the message ends")
def _(url):
    c = Conn(url)
    c.send_frame(TEXT, "κόσμε".encode(), fin=False)
    c.send_frame(CONT, b"\xf4\x90\x80\x80", fin=False)
    c.expect_fail({1007})

@case("6.4.2 fail fast: invalid bytes inside a frame whose end never comes")
def _(url):
    c = Conn(url)
    full = c.frame(TEXT, "κόσμε".encode() + b"\xf4\x90\x80\x80" + b"*" * 1000)
    c.send(full[:30])
    c.expect_fail({1007})


# 7 Close handling.
@case("7.1.1 echo, then a normal close")
def _(url):
    c = Conn(url)
    c.send_frame(TEXT, b"Hello World!")
    c.expect_message("text", b"Hello World!")
    c.close()

@case("7.1.2 a second close frame is ignored")
def _(url):
    c = Conn(url)
    c.send_frame(CLOSE, struct.pack("!H", 1000))
    c.send_frame(CLOSE, struct.pack("!H", 1000))
    event = c.read_event()
    if event[0] != "close" or event[1][0] != 1000:
        raise Fail("no close echo")
    c.expect_tcp_closed()

@case("7.1.3 a ping after close is not answered")
def _(url):
    c = Conn(url)
    c.send_frame(CLOSE, struct.pack("!H", 1000))
    c.send_frame(PING, b"late")
    event = c.read_event()
    if event[0] != "close":
        raise Fail(f"expected the close echo first, got {event[0]}")
    c.expect_tcp_closed()

@case("7.1.4 text after close is not echoed")
def _(url):
    c = Conn(url)
    c.send_frame(CLOSE, struct.pack("!H", 1000))
    c.send_frame(TEXT, b"late")
    event = c.read_event()
    if event[0] != "close":
        raise Fail(f"expected the close echo, got {event[0]}")
    c.expect_tcp_closed()

@case("7.1.5 close inside a fragmented message ends it")
def _(url):
    c = Conn(url)
    c.send_frame(TEXT, b"frag", fin=False)
    c.send_frame(CLOSE, struct.pack("!H", 1000))
    c.send_frame(CONT, b"ment", fin=True)
    event = c.read_event()
    if event[0] != "close" or event[1][0] != 1000:
        raise Fail(f"expected close 1000, got {event}")
    c.expect_tcp_closed()

@case("7.1.6 a large message, then close: the echo precedes the close")
def _(url):
    c = Conn(url)
    data = b"BAsd7&jh23" * 26214
    c.send_frame(TEXT, data)
    c.send_frame(CLOSE, struct.pack("!H", 1000))
    c.expect_message("text", data)
    event = c.read_event()
    if event[0] != "close":
        raise Fail("no close")
    c.expect_tcp_closed()

@case("7.3.1 close without payload is echoed without a code")
def _(url):
    c = Conn(url)
    c.send_frame(CLOSE, b"")
    event = c.read_event()
    if event != ("close", (1005, b"")):
        raise Fail(f"expected an empty close, got {event}")
    c.expect_tcp_closed()

@case("7.3.2 close with a one-byte payload fails with 1002")
def _(url):
    c = Conn(url)
    c.send_frame(CLOSE, b"\x03")
    c.expect_fail({1002})

@case("7.3.3 close with a code only")
def _(url):
    Conn(url).close(1000)

@case("7.3.4 close with a code and a reason")
def _(url):
    Conn(url).close(1000, b"Hello World!")

@case("7.3.5 close with a 123-byte reason")
def _(url):
    Conn(url).close(1000, b"*" * 123)

@case("7.3.6 close with a 124-byte reason (126-byte payload) fails with 1002")
def _(url):
    c = Conn(url)
    c.send(Conn.frame(CLOSE, struct.pack("!H", 1000) + b"*" * 124))
    c.expect_fail({1002})

@case("7.5.1 close reason that is not UTF-8 fails with 1007")
def _(url):
    c = Conn(url)
    c.send_frame(CLOSE, struct.pack("!H", 1000) + b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80")
    c.expect_fail({1007})

for i, code in enumerate([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999], 1):
    def valid_code(url, code=code):
        Conn(url).close(code)
    case(f"7.7.{i} close code {code} is echoed")(valid_code)

for i, code in enumerate([0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535], 1):
    def invalid_code(url, code=code):
        c = Conn(url)
        c.send_frame(CLOSE, struct.pack("!H", code))
        c.expect_fail({1002})
    case(f"7.9.{i} close code {code} fails with 1002")(invalid_code)


# 9 Sizes up to the 1 MiB default limit, and just over it.
for i, n in enumerate([64 * 1024, 256 * 1024, 1024 * 1024], 1):
    def big(url, n=n):
        c = Conn(url)
        data = b"x" * n
        c.send_frame(BINARY, data)
        c.expect_message("binary", data)
        c.close()
    case(f"9.2.{i} binary of {n} bytes")(big)

@case("9.2.4 binary of 1 MiB in 4 KiB fragments")
def _(url):
    c = Conn(url)
    data = os.urandom(1024 * 1024)
    step = 4096
    for i in range(0, len(data), step):
        c.send_frame(BINARY if i == 0 else CONT, data[i:i + step], fin=(i + step >= len(data)))
    c.expect_message("binary", data)
    c.close()

@case("9.9.1 one byte over 1 MiB fails with 1009")
def _(url):
    c = Conn(url)
    c.send_frame(BINARY, b"x" * (1024 * 1024 + 1))
    c.expect_fail({1009})

@case("10.1.1 64 KiB text in 1300-byte fragments")
def _(url):
    c = Conn(url)
    data = b"*" * 65536
    for i in range(0, len(data), 1300):
        c.send_frame(TEXT if i == 0 else CONT, data[i:i + 1300], fin=(i + 1300 >= len(data)))
    c.expect_message("text", data)
    c.close()


# 12/13 permessage-deflate.
DEFLATE_OFFERS = [
    ("13.1", "permessage-deflate"),
    ("13.2", "permessage-deflate; client_max_window_bits"),
    ("13.3", "permessage-deflate; server_no_context_takeover"),
    ("13.4", "permessage-deflate; client_no_context_takeover"),
    ("13.5", "permessage-deflate; server_max_window_bits=9"),
    ("13.6", "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
]
for number, offer in DEFLATE_OFFERS:
    def deflate_case(url, offer=offer):
        c = Conn(url, extensions=offer)
        if not c.deflate:
            raise Fail("permessage-deflate was not accepted: " + offer)
        c.client_no_context = "client_no_context_takeover" in offer
        messages = [b"", b"Hello", ("compress me " * 400).encode(), os.urandom(3000), ("compress me " * 400).encode(), b"Hello"]
        for j, m in enumerate(messages):
            opcode = TEXT if j % 2 == 0 and j != 3 else BINARY
            if j == 3:
                opcode = BINARY
            c.send_frame(opcode, c.compress(m), rsv=4)
            c.expect_message("text" if opcode == TEXT else "binary", m)
        c.close()
    case(f"{number} deflate, offer '{offer}': messages echo through compression")(deflate_case)

@case("13.7 deflate: a compressed message split into fragments")
def _(url):
    c = Conn(url, extensions="permessage-deflate")
    data = ("fragmented and compressed " * 500).encode()
    z = c.compress(data)
    third = len(z) // 3
    c.send_frame(TEXT, z[:third], fin=False, rsv=4)
    c.send_frame(CONT, z[third:2 * third], fin=False)
    c.send_frame(CONT, z[2 * third:], fin=True)
    c.expect_message("text", data)
    c.close()

@case("13.8 deflate: RSV1 on a continuation frame fails with 1002")
def _(url):
    c = Conn(url, extensions="permessage-deflate")
    z = c.compress(b"Hello")
    c.send_frame(TEXT, z[:2], fin=False, rsv=4)
    c.send_frame(CONT, z[2:], fin=True, rsv=4)
    c.expect_fail({1002})

@case("13.9 deflate: a compressed message over 1 MiB after inflation fails with 1009")
def _(url):
    c = Conn(url, extensions="permessage-deflate")
    c.send_frame(BINARY, c.compress(b"\0" * (1024 * 1024 + 1)), rsv=4)
    c.expect_fail({1009})

@case("13.10 no deflate offered: RSV1 fails with 1002")
def _(url):
    c = Conn(url)
    c.send_frame(TEXT, b"\xf2\x48\xcd\xc9\xc9\x07\x00", rsv=4)
    c.expect_fail({1002})


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__)
        return 2
    url = args[0]
    prefix = args[args.index("--cases") + 1] if "--cases" in args else ""
    passed = failed = 0
    for name, fn in CASES:
        if not name.startswith(prefix):
            continue
        started = time.time()
        try:
            fn(url)
            passed += 1
            status = "PASS"
        except Exception as error:  # noqa: BLE001 - every failure is reported, none stops the run
            failed += 1
            status = f"FAIL {type(error).__name__}: {error}"
        print(f"{name:<80} {status} ({(time.time() - started) * 1000:.0f} ms)", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
