#!/usr/bin/env python3
"""Streams N answers through an agent whose route has a faulty replica first and a good one second,
and measures, at the client, the gap between the token before the fault and the token after it
(the failover gap), against the ordinary gap between tokens.
Usage: failover-gap.py HOST:PORT KEY MODEL FAULT_AFTER_TOKENS [N]"""
import json
import socket
import sys
import time


def stream(host, port, key, model, prompt):
    body = json.dumps({"model": model, "stream": True, "max_tokens": 40, "ignore_eos": True,
                       "messages": [{"role": "user", "content": prompt}]})
    request = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}").encode()
    sock = socket.create_connection((host, port))
    sock.sendall(request)
    arrivals, failed_over, hedged, pending = [], False, False, b""
    while True:
        data = sock.recv(65536)
        if not data:
            break
        now = time.perf_counter()
        pending += data
        while b"\n\n" in pending:
            event, pending = pending.split(b"\n\n", 1)
            line = event[event.find(b"data: "):][6:]
            if not line or line == b"[DONE]":
                continue
            try:
                value = json.loads(line)
            except ValueError:
                continue  # a chunked-encoding size line glued to the event
            if "lumen" in value:
                failed_over = value["lumen"].get("failovers", 0) > 0
                hedged = value["lumen"].get("hedged", False)
            for choice in value.get("choices", []):
                if choice.get("delta", {}).get("content"):
                    arrivals.append(now)
    sock.close()
    return arrivals, failed_over, hedged


def percentile(values, share):
    values = sorted(values)
    return values[min(len(values) - 1, int(round((len(values) - 1) * share)))] if values else None


def main():
    address, key, model, fault_after = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    count = int(sys.argv[5]) if len(sys.argv) > 5 else 200
    host, port = address.rsplit(":", 1)
    gaps, ordinary, failovers, hedges = [], [], 0, 0
    for index in range(count):
        arrivals, failed_over, hedged = stream(host, int(port), key, model, f"failover prompt {index}")
        hedges += hedged
        steps = [(b - a) * 1000 for a, b in zip(arrivals, arrivals[1:])]
        if failed_over and len(arrivals) > fault_after:
            failovers += 1
            gaps.append(steps[fault_after - 1])
            ordinary += steps[:fault_after - 1] + steps[fault_after:]
        else:
            ordinary += steps
    print(json.dumps({
        "streams": count, "failedOver": failovers, "hedged": hedges,
        "gapP50Ms": round(percentile(gaps, 0.5), 2) if gaps else None,
        "gapP99Ms": round(percentile(gaps, 0.99), 2) if gaps else None,
        "interTokenP50Ms": round(percentile(ordinary, 0.5), 2) if ordinary else None,
    }))


main()
