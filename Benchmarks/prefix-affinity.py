#!/usr/bin/env python3
"""Streams N requests through an agent, each a random one of S long system prompts plus a short
question, with C clients at once, and reports the prefix-cache hit rate (cached prompt tokens over
prompt tokens, from usage) and TTFT p50/p99 at the client.
Usage: prefix-affinity.py HOST:PORT KEY MODEL [N] [S] [C]"""
import json
import random
import socket
import sys
import threading
import time


def system_prompt(index):
    rng = random.Random(index)
    words = ["policy", "customer", "refund", "tone", "brief", "escalate", "account", "order", "warranty", "friendly"]
    return f"You are support agent {index}. " + " ".join(rng.choice(words) for _ in range(1500))


def stream(host, port, key, model, system, question):
    body = json.dumps({"model": model, "stream": True, "stream_options": {"include_usage": True}, "max_tokens": 8,
                       "messages": [{"role": "system", "content": system}, {"role": "user", "content": question}]})
    request = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}").encode()
    started = time.perf_counter()
    sock = socket.create_connection((host, port))
    sock.sendall(request)
    ttft, usage, pending = None, None, b""
    while True:
        data = sock.recv(65536)
        if not data:
            break
        pending += data
        while b"\n\n" in pending:
            event, pending = pending.split(b"\n\n", 1)
            line = event[event.find(b"data: "):][6:]
            if not line or line == b"[DONE]":
                continue
            chunk = json.loads(line)
            if chunk.get("usage"):
                usage = chunk["usage"]
            for choice in chunk.get("choices", []):
                if ttft is None and choice.get("delta", {}).get("content"):
                    ttft = time.perf_counter() - started
    sock.close()
    return ttft, usage


def main():
    host, port = sys.argv[1].split(":")
    key, model = sys.argv[2], sys.argv[3]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 400
    systems = [system_prompt(i) for i in range(int(sys.argv[5]) if len(sys.argv) > 5 else 16)]
    clients = int(sys.argv[6]) if len(sys.argv) > 6 else 8
    rng = random.Random(7)
    plan = [(rng.randrange(len(systems)), f"question {i}") for i in range(count)]
    results, lock, cursor = [], threading.Lock(), [0]

    def worker():
        while True:
            with lock:
                if cursor[0] >= len(plan):
                    return
                system, question = plan[cursor[0]]
                cursor[0] += 1
            outcome = stream(host, int(port), key, model, systems[system], question)
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ttfts = sorted(t * 1000 for t, _ in results if t is not None)
    prompt = sum(u["prompt_tokens"] for _, u in results if u)
    cached = sum((u.get("prompt_tokens_details") or {}).get("cached_tokens", 0) for _, u in results if u)

    def pct(share):
        return ttfts[min(len(ttfts) - 1, int(round((len(ttfts) - 1) * share)))]
    print(f"{len(results)} streams, {len(ttfts)} with a first token; cache hit rate {cached / max(1, prompt) * 100:.1f}% "
          f"of prompt tokens; TTFT p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms")


main()
