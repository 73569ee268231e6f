# Echo round trips for a while; prints the count and the worst round trip in milliseconds.
# Usage: rtt.py ws://127.0.0.1:PORT/echo SECONDS
import asyncio, sys, time, websockets

async def main(url, seconds):
    async with websockets.connect(url, compression=None) as ws:
        start, worst, count = time.monotonic(), 0.0, 0
        while time.monotonic() - start < seconds:
            sent = time.monotonic()
            await ws.send("ping")
            await ws.recv()
            worst = max(worst, time.monotonic() - sent)
            count += 1
        print(count, round(worst * 1000, 1))

asyncio.run(main(sys.argv[1], float(sys.argv[2])))
