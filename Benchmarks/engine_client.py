#!/usr/bin/env python3
"""Measures a running lumen-engine (or any OpenAI-compatible server with usage in streams) through
/v1/completions, streamed. Standard library only. Each subcommand prints JSON.

  prefill      TTFT of a prompt of about --prompt-tokens tokens with max_tokens 1: prompt tokens
               (from usage) / TTFT, best of --repeats after a warm-up; each prompt is new, so a
               prefix cache cannot serve it.
  decode       one stream of --decode-tokens tokens (ignore_eos, greedy): tokens/s from the first
               chunk to the finish, best of --repeats after a warm-up.
  concurrency  --streams S [S2 ...]: S streams of --decode-tokens tokens at once; aggregate
               tokens/s = all tokens / wall time from the start to the last token; with several
               S, the ratio of each to the first.
  prefix       TTFT (max_tokens 1) of prompts of a --prefix-tokens shared prefix and a short
               unique suffix: cold (a fresh prefix each time) against warm (one prefix, sent once
               beforehand); medians of --runs each, their ratio, and usage's cached_tokens.
  speculative  decode tokens/s as `decode`, plus acceptance = accepted / proposed draft tokens
               from /metrics before and after; --prompt repetitive repeats a sentence, which
               prompt lookup can draw on.

Prompts are words of the vocabulary of `lumen-engine tiny-model` (one token each there, about one
elsewhere); the reports give the token counts usage returned.
Usage: engine_client.py SUBCOMMAND [--url http://127.0.0.1:PORT] [--model NAME] [options]"""
import argparse
import http.client
import json
import random
import re
import socket
import statistics
import sys
import threading
import time
import urllib.parse

# Words of `lumen-engine tiny-model`'s vocabulary (TinyModel.words): each is one token there.
WORDS = """the of and to in is that it for on with as was be by at this are from or an have not but they his her which one
you all were we can there their been has when who will more if no out so what up said about into than them only other new
some could time these two may then do first any my now such like our over man me even most made after also did many before
must through back years where much your way well down should because each just those people how too little state good very
make world still own see men work long get here between both life being under never day same another know while last might
us great old year off come since against go came right used take three model token gateway stream replica route lumen hello
answer question""".split()


class ServerError(Exception):
    pass


def words(count, rng):
    return " ".join(rng.choice(WORDS) for _ in range(max(1, count)))


class Client:
    def __init__(self, url, model, timeout):
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or not parsed.hostname:
            sys.exit(f"Error: --url must be http://HOST:PORT, not {url!r}.")
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.base = parsed.path.rstrip("/")
        if self.base.endswith("/v1"):
            self.base = self.base[:-3]
        self.model, self.timeout = model, timeout

    def connect(self):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def get(self, path):
        connection = self.connect()
        try:
            connection.request("GET", self.base + path)
            response = connection.getresponse()
            body = response.read().decode(errors="replace")
            if response.status != 200:
                raise ServerError(f"GET {path}: HTTP {response.status}: {body[:300]}")
            return body
        finally:
            connection.close()

    def stream(self, prompt, max_tokens, connection=None):
        """One streamed completion, greedy, exactly max_tokens tokens. Returns times (perf_counter)
        of the request, of the first chunk with a choice, of the first chunk with text, of the chunk
        with the finish reason (sent as soon as the last token is), the usage, and the number of
        text chunks."""
        body = json.dumps({"model": self.model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0,
                           "ignore_eos": True, "stream": True, "stream_options": {"include_usage": True}})
        own = connection is None
        connection = connection or self.connect()
        try:
            sent = time.perf_counter()
            connection.request("POST", self.base + "/v1/completions", body=body,
                               headers={"Content-Type": "application/json", "Accept": "text/event-stream"})
            response = connection.getresponse()
            if response.status != 200:
                raise ServerError(f"HTTP {response.status}: {response.read().decode(errors='replace')[:400]}")
            result = {"sent": sent, "first_chunk": None, "first_text": None, "finished": None, "usage": None,
                      "text_chunks": 0, "done": False}
            while True:
                line = response.readline()
                if not line:
                    break
                line = line.strip()
                if not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    result["done"] = True
                    break
                now = time.perf_counter()
                event = json.loads(data)
                if "error" in event:
                    raise ServerError(f"stream error: {json.dumps(event['error'])[:400]}")
                if event.get("usage"):
                    result["usage"] = event["usage"]
                choices = event.get("choices") or []
                if choices:
                    if result["first_chunk"] is None:
                        result["first_chunk"] = now
                    if choices[0].get("text"):
                        result["text_chunks"] += 1
                        result["first_text"] = result["first_text"] or now
                    if choices[0].get("finish_reason"):
                        result["finished"] = now
            if not result["done"]:
                raise ServerError("the stream ended without [DONE]")
            if result["finished"] is None:
                raise ServerError("no chunk carried a finish_reason")
            if result["usage"] is None:
                raise ServerError("the stream carried no usage (stream_options.include_usage)")
            return result
        finally:
            if own:
                connection.close()

    def metrics(self):
        """{name: value} of the unlabelled samples of /metrics."""
        found = {}
        for line in self.get("/metrics").splitlines():
            match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)\s+([0-9.eE+-]+|NaN)$", line)
            if match:
                found[match.group(1)] = float(match.group(2))
        return found


def prompt_tokens(result):
    return result["usage"].get("prompt_tokens")


def cached_tokens(result):
    return ((result["usage"].get("prompt_tokens_details") or {}).get("cached_tokens")) or 0


def ttft(result):
    return result["first_chunk"] - result["sent"]


def decode_rate(result):
    """Tokens per second from the first chunk to the finish, counting usage's tokens. A token whose
    text is held back (an unfinished UTF-8 character) or empty sends no chunk, so the first chunk
    may come a token or two late: over 100 tokens and more that errs by a few per cent at most."""
    tokens = result["usage"].get("completion_tokens", 0)
    if result["finished"] <= result["first_chunk"] or tokens < 2:
        return None
    return (tokens - 1) / (result["finished"] - result["first_chunk"])


def run_prefill(client, args):
    rng = random.Random(args.seed)
    # Every prompt starts with different words, so a prefix cache holds nothing of it.
    client.stream(words(args.prompt_tokens - 1, rng), 1)  # warm-up
    runs = [client.stream(words(args.prompt_tokens - 1, rng), 1) for _ in range(args.repeats)]
    best = min(runs, key=ttft)
    return {"prompt_tokens": prompt_tokens(best), "ttft_seconds": round(ttft(best), 4),
            "tokens_per_second": round(prompt_tokens(best) / ttft(best), 1), "best_of": args.repeats,
            "ttfts": [round(ttft(r), 4) for r in runs], "cached_tokens": [cached_tokens(r) for r in runs]}


def measure_decode(client, args, prompt):
    client.stream(prompt, min(8, args.decode_tokens))  # warm-up
    runs = [client.stream(prompt, args.decode_tokens) for _ in range(args.repeats)]
    rates = [decode_rate(r) for r in runs]
    if any(rate is None for rate in rates):
        raise ServerError(f"a stream carried too few text chunks to time (completion tokens "
                          f"{[r['usage'].get('completion_tokens') for r in runs]}, chunks {[r['text_chunks'] for r in runs]})")
    best = max(range(len(runs)), key=lambda i: rates[i])
    return {"prompt_tokens": prompt_tokens(runs[best]), "tokens": runs[best]["usage"].get("completion_tokens"),
            "text_chunks": runs[best]["text_chunks"], "tokens_per_second": round(rates[best], 1),
            "rates": [round(r, 1) for r in rates], "best_of": args.repeats, "timed": "first chunk to the finish"}


def run_decode(client, args):
    return measure_decode(client, args, words(args.decode_prompt_tokens - 1, random.Random(args.seed)))


def run_concurrency(client, args):
    results = {}
    rng = random.Random(args.seed)
    client.stream(words(args.decode_prompt_tokens - 1, rng), min(8, args.decode_tokens))  # warm-up
    for streams in args.streams:
        prompts = [f"stream {i}: " + words(args.decode_prompt_tokens - 3, rng) for i in range(streams)]
        connections = [client.connect() for _ in range(streams)]
        outcomes = [None] * streams
        barrier = threading.Barrier(streams + 1)

        def one(index):
            barrier.wait()
            try:
                outcomes[index] = client.stream(prompts[index], args.decode_tokens, connections[index])
            except Exception as error:  # noqa: BLE001 - reported below
                outcomes[index] = error

        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(streams)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        for connection in connections:
            connection.close()
        failures = [o for o in outcomes if isinstance(o, Exception)]
        if failures:
            raise ServerError(f"{len(failures)} of {streams} streams failed; the first: {failures[0]}")
        total = sum(o["usage"].get("completion_tokens", 0) for o in outcomes)
        wall = max(o["finished"] for o in outcomes) - started
        results[str(streams)] = {"streams": streams, "tokens": total, "wall_seconds": round(wall, 3),
                                 "aggregate_tokens_per_second": round(total / wall, 1),
                                 "ttft_seconds": sorted(round(o["first_chunk"] - started, 3) for o in outcomes)}
    first = results[str(args.streams[0])]["aggregate_tokens_per_second"]
    report = {"decode_tokens": args.decode_tokens, "by_streams": results}
    if len(args.streams) > 1:
        report["ratio_to_first"] = {str(s): round(results[str(s)]["aggregate_tokens_per_second"] / first, 2) for s in args.streams}
    return report


def run_prefix(client, args):
    rng = random.Random(args.seed)
    suffix = lambda i: f" question {i}: " + words(args.suffix_tokens - 3, rng)  # noqa: E731
    client.stream(words(args.suffix_tokens, rng), 1)  # warm-up, short: a long one would cost a cold prefill
    cold = [client.stream(words(args.prefix_tokens, rng) + suffix(i), 1) for i in range(args.runs)]
    shared = words(args.prefix_tokens, rng)
    primed = client.stream(shared + suffix(0), 1)
    warm = [client.stream(shared + suffix(i + 1), 1) for i in range(args.runs)]
    cold_median = statistics.median(ttft(r) for r in cold)
    warm_median = statistics.median(ttft(r) for r in warm)
    return {"prefix_words": args.prefix_tokens, "prompt_tokens": [prompt_tokens(r) for r in warm],
            "cold": {"ttft_median_seconds": round(cold_median, 4), "ttfts": [round(ttft(r), 4) for r in cold],
                     "cached_tokens": [cached_tokens(r) for r in cold]},
            "warm": {"ttft_median_seconds": round(warm_median, 4), "ttfts": [round(ttft(r), 4) for r in warm],
                     "cached_tokens": [cached_tokens(r) for r in warm], "priming_cached_tokens": cached_tokens(primed)},
            "cold_over_warm": round(cold_median / warm_median, 2), "runs": args.runs}


def repetitive_prompt(count):
    """A sentence said over and over, about count words: what prompt lookup can copy from."""
    sentence = "the gateway answered the question about the route and the replica sent the stream back to the model"
    repeats = max(1, count // len(sentence.split()))
    return " ".join([sentence] * repeats)


def run_speculative(client, args):
    rng = random.Random(args.seed)
    prompt = repetitive_prompt(args.decode_prompt_tokens) if args.prompt == "repetitive" else words(args.decode_prompt_tokens - 1, rng)
    names = {"proposed": "lumen_engine_speculative_proposed_tokens_total",
             "accepted": "lumen_engine_speculative_accepted_tokens_total",
             "generated": "lumen_engine_generated_tokens_total"}
    before = client.metrics()
    report = measure_decode(client, args, prompt)
    after = client.metrics()
    deltas = {key: (after[name] - before[name]) if name in after and name in before else None for key, name in names.items()}
    report["prompt"] = args.prompt
    report["metrics_delta"] = deltas
    proposed, accepted = deltas["proposed"], deltas["accepted"]
    report["acceptance"] = round(accepted / proposed, 3) if proposed and accepted is not None else None
    if proposed is None:
        report["note"] = "/metrics has no lumen_engine_speculative_* counters: this server does not speculate"
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["prefill", "decode", "concurrency", "prefix", "speculative"])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--model", default="bench", help="the model name the server reports")
    parser.add_argument("--prompt-tokens", type=int, default=256, help="prefill: prompt length, about")
    parser.add_argument("--decode-tokens", type=int, default=128, help="decode, concurrency, speculative: tokens per stream")
    parser.add_argument("--decode-prompt-tokens", type=int, default=16, help="decode, concurrency, speculative: prompt length, about")
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 8], help="concurrency: streams at once, one or more counts")
    parser.add_argument("--prefix-tokens", type=int, default=1000, help="prefix: shared prefix length in words")
    parser.add_argument("--suffix-tokens", type=int, default=16, help="prefix: unique suffix length in words")
    parser.add_argument("--runs", type=int, default=5, help="prefix: prompts timed cold and warm, each")
    parser.add_argument("--prompt", choices=["repetitive", "plain"], default="repetitive", help="speculative: the prompt's kind")
    parser.add_argument("--repeats", type=int, default=3, help="prefill, decode, speculative: timed runs (the best counts)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600, help="seconds a request may take")
    args = parser.parse_args()
    if args.decode_tokens < 2 or args.prompt_tokens < 2 or args.decode_prompt_tokens < 4 or args.suffix_tokens < 4:
        sys.exit("Error: --decode-tokens and --prompt-tokens must be at least 2, --decode-prompt-tokens and --suffix-tokens at least 4.")
    if args.repeats < 1 or args.runs < 1 or min(args.streams) < 1:
        sys.exit("Error: --repeats, --runs and --streams must be at least 1.")
    client = Client(args.url, args.model, args.timeout)
    command = {"prefill": run_prefill, "decode": run_decode, "concurrency": run_concurrency,
               "prefix": run_prefix, "speculative": run_speculative}[args.command]
    try:
        report = command(client, args)
    except (ServerError, OSError, http.client.HTTPException) as error:
        hint = ""
        if "context_length_exceeded" in str(error):
            hint = " The prompt is longer than the model's context: lower --prompt-tokens, --prefix-tokens or --decode-prompt-tokens."
        sys.exit(f"Error: {args.command} against {args.url}: {type(error).__name__}: {error}.{hint}")
    print(json.dumps({"command": args.command, "url": args.url, **report}, indent=2))


if __name__ == "__main__":
    main()
