#!/usr/bin/env python3
"""Opens N streaming requests through an agent, reads them as a normal client would, and reports the
agent's resident memory once every stream has its first token, against its memory before.
Usage: open-streams.py HOST:PORT KEY MODEL AGENT_PID [N]"""
import asyncio
import json
import sys


def resident_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def stream(host, port, request, started, finish):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(request)
    await writer.drain()
    seen_event = False
    while not finish.is_set():
        try:
            chunk = await asyncio.wait_for(reader.read(65536), 0.5)
        except asyncio.TimeoutError:
            continue
        if not chunk:
            break
        if not seen_event and b"data:" in chunk:
            seen_event = True
            started.release()
    writer.close()


async def main():
    address, key, model, pid = sys.argv[1:5]
    count = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
    host, port = address.rsplit(":", 1)
    body = json.dumps({"model": model, "stream": True, "max_tokens": 2000, "ignore_eos": True,
                       "messages": [{"role": "user", "content": "tell me a long story"}]})
    request = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode()
    idle = resident_kib(pid)
    started = asyncio.Semaphore(0)
    finish = asyncio.Event()
    tasks = [asyncio.create_task(stream(host, int(port), request, started, finish)) for _ in range(count)]
    opened = 0
    try:
        for _ in range(count):
            await asyncio.wait_for(started.acquire(), 60)
            opened += 1
    except asyncio.TimeoutError:
        pass
    await asyncio.sleep(2)
    busy = resident_kib(pid)
    finish.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(json.dumps({"streams": count, "started": opened, "idleKiB": idle, "openKiB": busy,
                      "perStreamKiB": round((busy - idle) / max(1, opened), 1)}))


asyncio.run(main())
