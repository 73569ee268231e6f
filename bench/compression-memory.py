#!/usr/bin/python3
"""Server memory per connection after one compressed message each way (permessage-deflate).

Opens CONNS connections to a running server's /echo with python-websockets' default offer
(permessage-deflate; client_max_window_bits, as browsers offer it), sends one 120-byte JSON
message on each and waits for its echo, then holds them all and reads the server's resident
memory from /proc. Loopback only; every phase has a deadline.

usage: compression-memory.py ws://127.0.0.1:PORT/echo SERVER_PID CONNS
prints: RESULT conns=N rss_before_kb=.. rss_after_kb=.. kb_per_conn=.. extensions="..."
"""
import asyncio
import json
import sys

import websockets


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def main(url, pid, conns):
    message = json.dumps({"op": "message", "topic": "room:lobby",
                          "data": {"user": "ann", "text": "hello, hello, hello everyone in the room"}})
    message = (message + " " * 120)[:120]
    await asyncio.sleep(1)
    before = rss_kb(pid)
    clients = []
    semaphore = asyncio.Semaphore(200)

    async def one():
        async with semaphore:
            ws = await websockets.connect(url, max_size=2**20, ping_interval=None, open_timeout=30)
            await ws.send(message)
            echo = await asyncio.wait_for(ws.recv(), 30)
            assert echo == message
            clients.append(ws)

    await asyncio.wait_for(asyncio.gather(*(one() for _ in range(conns))), 300)
    await asyncio.sleep(3)
    after = rss_kb(pid)
    extensions = clients[0].response_headers.get("Sec-WebSocket-Extensions", "")
    print(f"RESULT conns={conns} rss_before_kb={before} rss_after_kb={after} "
          f"kb_per_conn={(after - before) / conns:.1f} extensions=\"{extensions}\"", flush=True)
    await asyncio.wait_for(asyncio.gather(*(ws.close() for ws in clients)), 120)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
