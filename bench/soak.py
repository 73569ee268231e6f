#!/usr/bin/python3
"""Mixed traffic against a running ActorSocket daemon for a bounded time (loopback only).

The mix, all at once: echo clients; a fan-out topic whose subscribers check every sequence
number; subscribers that stop reading; clients that vanish without a close frame; a reconnect
storm every two minutes; and hostile clients (ping floods that never read, a continuation that
announces 2^63 bytes, a slowloris head). Every 10 s it samples the daemon (resident memory,
threads and descriptors from /proc; GC heap and open connections from /metrics) into a CSV.

usage: soak.py ws://127.0.0.1:PORT DAEMON_PID SECONDS OUT.csv
prints a summary line: RESULT seconds=.. fanout_sent=.. fanout_lost=.. order_errors=.. echo_ok=.. ...
"""
import asyncio
import csv
import os
import random
import socket
import struct
import sys
import time
import urllib.request

import websockets

ECHO_CLIENTS = 50
ECHO_INTERVAL = 0.1
FANOUT_SUBSCRIBERS = 100
FANOUT_RATE = 100           # publishes per second on one topic
STALLED_SUBSCRIBERS = 20    # replaced every minute
VANISH_EVERY = 5.0          # seconds between bursts of connections dropped without a close frame
VANISH_BURST = 20
STORM_EVERY = 120.0
STORM_SIZE = 500
HOSTILE_EVERY = 30.0

stats = {"fanout_sent": 0, "fanout_received": 0, "fanout_lost": 0, "order_errors": 0, "echo_ok": 0,
         "echo_failed": 0, "vanished": 0, "storm_ok": 0, "storm_failed": 0, "stalled_opened": 0,
         "hostile_runs": 0, "subscriber_reconnects": 0}


def proc_status(pid):
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            values[key] = rest.split()
    return int(values["VmRSS"][0]), int(values["Threads"][0])


def metrics(base):
    text = urllib.request.urlopen(base.replace("ws://", "http://") + "/metrics", timeout=5).read().decode()
    found = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        found[name] = float(value)
    return found


async def sampler(base, pid, seconds, out):
    start = time.monotonic()
    with open(out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["seconds", "rss_mib", "gc_heap_mib", "threads", "fds", "open_connections",
                         "fanout_lost", "deliveries_per_s"])
        last_received, last_t = 0, start
        while time.monotonic() - start < seconds + 1:
            rss_kb, threads = proc_status(pid)
            fds = len(os.listdir(f"/proc/{pid}/fd"))
            m = await asyncio.to_thread(metrics, base)
            now = time.monotonic()
            rate = (stats["fanout_received"] - last_received) / max(now - last_t, 1e-3)
            last_received, last_t = stats["fanout_received"], now
            writer.writerow([round(now - start), round(rss_kb / 1024, 1),
                             round(m.get("dotnet_gc_heap_size_bytes", 0) / 2**20, 1), threads, fds,
                             int(m.get("actorsocket_connections_open", 0)), stats["fanout_lost"], round(rate)])
            f.flush()
            await asyncio.sleep(10)


async def echo_client(url, deadline):
    while time.monotonic() < deadline:
        try:
            async with websockets.connect(url + "/echo", ping_interval=None, open_timeout=20) as ws:
                n = 0
                while time.monotonic() < deadline:
                    text = f"echo {n} " + "x" * random.randint(0, 200)
                    await ws.send(text)
                    if await asyncio.wait_for(ws.recv(), 20) == text:
                        stats["echo_ok"] += 1
                    else:
                        stats["echo_failed"] += 1
                    n += 1
                    await asyncio.sleep(ECHO_INTERVAL)
        except (OSError, asyncio.TimeoutError, websockets.WebSocketException):
            stats["echo_failed"] += 1
            await asyncio.sleep(1)


async def fanout_subscriber(url, ready, deadline):
    # A subscriber that keeps up: every sequence number of this connection's lifetime, in order.
    while time.monotonic() < deadline:
        try:
            async with websockets.connect(url + "/pubsub", ping_interval=None, open_timeout=20) as ws:
                await ws.send('{"op":"subscribe","topic":"soak","id":1}')
                assert '"ack"' in await asyncio.wait_for(ws.recv(), 20)
                ready.release()
                expected = None
                while time.monotonic() < deadline:
                    frame = await asyncio.wait_for(ws.recv(), 30)
                    seq = int(frame[frame.rindex(":") + 1:-2])
                    stats["fanout_received"] += 1
                    if expected is not None and seq != expected:
                        if seq > expected:
                            stats["fanout_lost"] += seq - expected
                        else:
                            stats["order_errors"] += 1
                    expected = seq + 1
        except (OSError, asyncio.TimeoutError, websockets.WebSocketException, AssertionError):
            if time.monotonic() < deadline:  # the publisher stops first at the end: not a reconnect
                stats["subscriber_reconnects"] += 1
                await asyncio.sleep(1)


async def publisher(url, deadline):
    seq = 0
    while time.monotonic() < deadline:
        try:
            async with websockets.connect(url + "/pubsub", ping_interval=None, open_timeout=20) as ws:
                while time.monotonic() < deadline:
                    started = time.monotonic()
                    for _ in range(FANOUT_RATE // 10):
                        await ws.send('{"op":"publish","topic":"soak","data":{"seq":%d}}' % seq)
                        seq += 1
                        stats["fanout_sent"] += 1
                    await asyncio.sleep(max(0, 0.1 - (time.monotonic() - started)))
        except (OSError, websockets.WebSocketException):
            await asyncio.sleep(1)


def raw_handshake(port, path, rcvbuf=0):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            raise OSError("closed during handshake")
        head += chunk
    return s


def masked(opcode, payload, fin=True):
    key = os.urandom(4)
    body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    length = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if length < 126:
        head += bytes([0x80 | length])
    elif length < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", length)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", length)
    return head + key + body


async def stalled_subscribers(port, deadline):
    # Subscribers that stop reading: the server must drop them (slow consumer, write timeout or
    # keepalive) without slowing the others. Replaced every minute.
    def open_one():
        s = raw_handshake(port, "/pubsub", rcvbuf=4096)
        s.sendall(masked(1, b'{"op":"subscribe","topic":"soak"}'))
        return s

    while time.monotonic() < deadline:
        held = []
        for _ in range(STALLED_SUBSCRIBERS):
            try:
                held.append(await asyncio.to_thread(open_one))
                stats["stalled_opened"] += 1
            except OSError:
                pass
        await asyncio.sleep(min(60, max(0, deadline - time.monotonic())))
        for s in held:
            s.close()


async def vanishing_clients(port, deadline):
    def burst():
        for _ in range(VANISH_BURST):
            try:
                s = raw_handshake(port, "/echo")
                s.sendall(masked(1, b"about to vanish"))
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()  # RST, no close frame
                stats["vanished"] += 1
            except OSError:
                pass

    while time.monotonic() < deadline:
        await asyncio.to_thread(burst)
        await asyncio.sleep(VANISH_EVERY)


async def reconnect_storms(url, deadline):
    async def one():
        try:
            async with websockets.connect(url + "/echo", ping_interval=None, open_timeout=30) as ws:
                await ws.send("storm")
                await asyncio.wait_for(ws.recv(), 30)
                stats["storm_ok"] += 1
        except (OSError, asyncio.TimeoutError, websockets.WebSocketException):
            stats["storm_failed"] += 1

    await asyncio.sleep(15)
    while time.monotonic() < deadline:
        await asyncio.gather(*(one() for _ in range(STORM_SIZE)))
        await asyncio.sleep(min(STORM_EVERY, max(0, deadline - time.monotonic())))


async def hostile_clients(port, deadline):
    def ping_flood():
        s = raw_handshake(port, "/echo", rcvbuf=4096)
        s.setblocking(False)
        frames = masked(9, b"p" * 125) * 400 + masked(10, b"unsolicited")
        until = time.monotonic() + 5
        try:
            while time.monotonic() < until:
                try:
                    s.send(frames)
                except BlockingIOError:
                    time.sleep(0.01)
        except OSError:
            pass
        s.close()

    def huge_continuation():
        s = raw_handshake(port, "/echo")
        s.sendall(masked(1, b"0123456789", fin=False))
        s.sendall(bytes([0x80, 0xFF]) + struct.pack(">Q", 0x7FFFFFFFFFFFFFF6) + b"\0\0\0\0" + b"\0" * 65536)
        s.settimeout(10)
        try:
            s.recv(64)
        except OSError:
            pass
        s.close()

    def slowloris():
        s = socket.socket()
        s.settimeout(15)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n")
        try:
            s.recv(64)  # the daemon drops it at its handshake timeout
        except OSError:
            pass
        s.close()

    while time.monotonic() < deadline:
        await asyncio.gather(asyncio.to_thread(ping_flood), asyncio.to_thread(huge_continuation),
                             asyncio.to_thread(slowloris), return_exceptions=True)
        stats["hostile_runs"] += 1
        await asyncio.sleep(min(HOSTILE_EVERY, max(0, deadline - time.monotonic())))


async def main(base, pid, seconds, out):
    port = int(base.rsplit(":", 1)[1])
    deadline = time.monotonic() + seconds
    ready = asyncio.Semaphore(0)
    tasks = [asyncio.create_task(sampler(base, pid, seconds, out))]
    tasks += [asyncio.create_task(fanout_subscriber(base, ready, deadline)) for _ in range(FANOUT_SUBSCRIBERS)]
    for _ in range(FANOUT_SUBSCRIBERS):
        await asyncio.wait_for(ready.acquire(), 60)
    tasks.append(asyncio.create_task(publisher(base, deadline)))
    tasks += [asyncio.create_task(echo_client(base, deadline)) for _ in range(ECHO_CLIENTS)]
    tasks += [asyncio.create_task(stalled_subscribers(port, deadline)),
              asyncio.create_task(vanishing_clients(port, deadline)),
              asyncio.create_task(reconnect_storms(base, deadline)),
              asyncio.create_task(hostile_clients(port, deadline))]
    await asyncio.wait_for(asyncio.gather(*tasks), seconds + 120)
    print("RESULT seconds=%d " % seconds + " ".join(f"{k}={v}" for k, v in stats.items()), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
