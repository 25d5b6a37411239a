#!/usr/bin/env python3
"""Open-loop Poisson traffic along a compressed diurnal day against an agent's autoscaler.

Sends `lumen/chat` streams at a rate that follows a day's curve (24 hours in --day seconds),
samples the agent's /v1/replicas every second, and reports replica-hours against static
provisioning for the peak, TTFT by the model that answered, the fallback's share per hour, and
the agent's admission counters. Writes a JSON report and a hand-drawn SVG chart.
Usage: autoscale.py --agent URL --admin URL --key KEY [--day 480] [--seed 1] [--json F] [--svg F]
       autoscale.py --replot F.json [--svg F]  (redraws the chart and reprints the tables)
"""
import argparse
import asyncio
import json
import math
import os
import random
import re
import sys
import time

try:
    import httpx
except ImportError:  # the openai package on some machines ships it as httpx2
    import httpx2 as httpx

MODEL = "open-8b"
FALLBACK = "frontier"
BILLED = ("starting", "ready", "draining")


def rate(hour):
    """Requests per second at `hour` (0-24) of the day."""
    if hour < 1:
        return 0.1
    if hour < 4.5:
        return 0.0  # a quiet stretch long enough for scale to zero at the default day length
    if hour < 6:
        return 0.1
    if hour < 10:
        return 0.1 + (6 - 0.1) * (hour - 6) / 4  # morning ramp
    if hour < 12:
        return 6.0
    if hour < 13:
        return 12.0  # lunch: a step, not a ramp
    if hour < 20:
        return 6.0
    if hour < 20.5:
        return 14.0  # evening spike
    if hour < 23:
        return 6.0 - (6 - 0.1) * (hour - 20.5) / 2.5  # decay to night
    return 0.1


def arrivals(day, seed):
    """Arrival times in seconds from the start of the day: a Poisson process thinned to rate()."""
    rng = random.Random(seed)
    peak = 14.0
    times, t = [], 0.0
    while True:
        t += rng.expovariate(peak)
        if t >= day:
            return times
        if rng.random() * peak < rate(t * 24 / day):
            times.append(t)


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def parse_metrics(text):
    """{(name, frozenset(labels)): value} for the counters this report reads."""
    found = {}
    for line in text.splitlines():
        match = re.match(r'^(lumen_admissions_total|lumen_scaling_decisions_total)\{([^}]*)\}\s+([0-9.eE+-]+)$', line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2)))
            found[(match.group(1), frozenset(labels.items()))] = float(match.group(3))
    return found


def counter(metrics, name, **labels):
    return sum(v for (n, ls), v in metrics.items() if n == name and set(labels.items()) <= ls)


async def request(client, args, index, scheduled, origin, results):
    body = {"model": "lumen/chat", "stream": True, "max_tokens": 64, "ignore_eos": True,
            "messages": [{"role": "user", "content": f"Request {index}: name three rivers in Europe."}]}
    started = time.monotonic()
    record = {"i": index, "t": scheduled, "late": started - origin - scheduled, "status": None, "model": None,
              "ttft": None, "total": None, "error": None}
    results.append(record)
    try:
        async with client.stream("POST", f"{args.agent}/v1/chat/completions", json=body,
                                 headers={"Authorization": f"Bearer {args.key}"}) as response:
            record["status"] = response.status_code
            record["model"] = response.headers.get("x-lumen-model")
            if response.status_code != 200:
                record["error"] = f"HTTP {response.status_code}: {(await response.aread())[:200].decode(errors='replace')}"
            else:
                done = False
                async for line in response.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    data = line[6:]
                    if data == "[DONE]":
                        done = True
                        break
                    event = json.loads(data)
                    if "error" in event:
                        record["error"] = f"stream error: {json.dumps(event['error'])[:200]}"
                        break
                    choices = event.get("choices") or []
                    if record["ttft"] is None and choices and (choices[0].get("delta") or {}).get("content"):
                        record["ttft"] = time.monotonic() - started
                if not done and record["error"] is None:
                    record["error"] = "stream ended without [DONE]"
                elif record["ttft"] is None and record["error"] is None:
                    record["error"] = "no content"
    except Exception as error:  # noqa: BLE001 - every failure is counted, none stops the day
        record["error"] = f"{type(error).__name__}: {error}"
    record["total"] = time.monotonic() - started


async def sample(client, args, origin, samples, stop):
    headers = {"Authorization": f"Bearer {args.token}"}
    next_at = time.monotonic()
    while not stop.is_set():
        now = time.monotonic()
        try:
            answer = (await client.get(f"{args.admin}/v1/replicas", headers=headers, timeout=5)).json()
            counts = {}
            for replica in answer.get("replicas", []):
                if replica.get("model") == MODEL:
                    counts[replica["state"]] = counts.get(replica["state"], 0) + 1
            deployment = next((d for d in answer.get("deployments", []) if d.get("model") == MODEL), {})
            samples.append({"t": now - origin, "states": counts, "target": deployment.get("target"),
                            "load": deployment.get("load"), "waiting": deployment.get("waiting"),
                            "inFlight": sum(r.get("inFlight", 0) for r in answer.get("replicas", []) if r.get("model") == MODEL)})
        except Exception as error:  # noqa: BLE001
            samples.append({"t": now - origin, "error": f"{type(error).__name__}: {error}"})
        next_at += 1.0
        try:
            await asyncio.wait_for(stop.wait(), max(0.0, next_at - time.monotonic()))
        except asyncio.TimeoutError:
            pass


async def preflight(client, args):
    """Fails loudly unless the agent answers and runs the deployment; waits for its warm replica."""
    headers = {"Authorization": f"Bearer {args.token}"}
    deadline = time.monotonic() + 15
    while True:
        try:
            answer = (await client.get(f"{args.admin}/v1/replicas", headers=headers, timeout=5))
            answer.raise_for_status()
            answer = answer.json()
            if any(d.get("model") == MODEL for d in answer.get("deployments", [])):
                break
            problem = f"the agent runs no deployment of {MODEL} (deployments: {[d.get('model') for d in answer.get('deployments', [])]})"
        except Exception as error:  # noqa: BLE001
            problem = f"cannot read {args.admin}/v1/replicas: {type(error).__name__}: {error}"
        if time.monotonic() > deadline:
            sys.exit(f"Error: {problem}. Is the agent running, and did lumenctl apply reach it?")
        await asyncio.sleep(0.5)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = (await client.get(f"{args.admin}/v1/replicas", headers=headers, timeout=5)).json()
        if any(r.get("model") == MODEL and r.get("state") == "ready" for r in answer.get("replicas", [])):
            return
        await asyncio.sleep(0.5)
    print(f"warning: no {MODEL} replica was ready 60 s after apply; starting the day anyway", file=sys.stderr)


async def run(args):
    schedule = arrivals(args.day, args.seed)
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=httpx.Timeout(120.0), limits=limits) as client:
        await preflight(client, args)
        before = parse_metrics((await client.get(f"{args.admin}/metrics", headers={"Authorization": f"Bearer {args.token}"}, timeout=5)).text)
        results, samples, stop = [], [], asyncio.Event()
        origin = time.monotonic()
        sampler = asyncio.create_task(sample(client, args, origin, samples, stop))
        tasks = []
        print(f"day of {args.day:g} s (an hour is {args.day / 24:g} s), {len(schedule)} requests scheduled", file=sys.stderr)
        for index, at in enumerate(schedule):
            delay = origin + at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(request(client, args, index, at, origin, results)))
        remaining = origin + args.day - time.monotonic()
        if remaining > 0:
            await asyncio.sleep(remaining)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=150)
            for task in pending:
                task.cancel()
            for record in results:
                if record["total"] is None:
                    record["error"] = "unfinished 150 s after the day ended"
        stop.set()
        await sampler
        after = parse_metrics((await client.get(f"{args.admin}/metrics", headers={"Authorization": f"Bearer {args.token}"}, timeout=5)).text)
    return results, samples, before, after


def summarise(args, results, samples, before, after):
    day, hour_s = args.day, args.day / 24
    good = [s for s in samples if "states" in s]
    # Billed replica-seconds: each sample holds until the next one.
    replica_seconds = ready_seconds = 0.0
    for current, following in zip(good, good[1:] + [None]):
        width = (following["t"] if following else min(current["t"] + 1, day)) - current["t"]
        if current["t"] >= day:
            break
        width = max(0.0, min(width, day - current["t"]))
        replica_seconds += sum(current["states"].get(s, 0) for s in BILLED) * width
        ready_seconds += current["states"].get("ready", 0) * width
    # A day-hour is hour_s seconds of the run, so replica-seconds / hour_s are replica-hours of the day.
    replica_hours = replica_seconds / hour_s
    billed_counts = [sum(s["states"].get(st, 0) for st in BILLED) for s in good if s["t"] < day]
    peak = max(billed_counts, default=0)
    static = peak * 24
    errors = [r for r in results if r["error"]]
    served = [r for r in results if not r["error"]]
    by_model, e2e_by_model = {}, {}
    for r in served:
        by_model.setdefault(r["model"], []).append(r["ttft"])
        e2e_by_model.setdefault(r["model"], []).append(r["total"])

    def delta(name, **labels):
        return counter(after, name, **labels) - counter(before, name, **labels)

    admissions = {result: delta("lumen_admissions_total", model=MODEL, result=result)
                  for result in ("spilled", "queued", "cold_start_wait", "queue_full", "start_too_slow", "timed_out")}
    hours = []
    for h in range(24):
        lo, hi = h * hour_s, (h + 1) * hour_s
        rs = [r for r in results if lo <= r["t"] < hi]
        ok = [r for r in rs if not r["error"]]
        ss = [s for s in good if lo <= s["t"] < hi]
        billed = [sum(s["states"].get(st, 0) for st in BILLED) for s in ss]
        ready = [s["states"].get("ready", 0) for s in ss]
        hours.append({
            "hour": h, "requests": len(rs), "ratePerSecond": len(rs) / hour_s, "curveRate": sum(rate(h + (k + 0.5) / 60) for k in range(60)) / 60,
            "readyMean": sum(ready) / len(ready) if ready else 0, "billedMean": sum(billed) / len(billed) if billed else 0,
            "billedMax": max(billed, default=0),
            "fallbackShare": sum(r["model"] == FALLBACK for r in ok) / len(ok) if ok else None,
            "ttftP50": percentile([r["ttft"] for r in ok], 50), "errors": len(rs) - len(ok),
        })

    def ttft(values):
        return {"n": len(values), "p50": percentile(values, 50), "p99": percentile(values, 99)}

    return {
        "day": day, "seed": args.seed, "requests": len(results), "errors": len(errors),
        "errorSamples": [r["error"] for r in errors[:10]],
        "servedBy": {m: len(v) for m, v in by_model.items()},
        "ttft": {"all": ttft([r["ttft"] for r in served]), **{m: ttft(v) for m, v in by_model.items()}},
        "endToEnd": {"all": ttft([r["total"] for r in served]), **{m: ttft(v) for m, v in e2e_by_model.items()}},
        "replicaHours": replica_hours, "readyReplicaHours": ready_seconds / hour_s,
        "peakBilledReplicas": peak, "staticReplicaHours": static,
        "saving": 1 - replica_hours / static if static else None,
        "admissions": admissions,
        "spilledShare": admissions["spilled"] / len(results) if results else None,
        "scalingDecisions": {d: delta("lumen_scaling_decisions_total", model=MODEL, direction=d) for d in ("up", "down")},
        "maxLateSeconds": max((r["late"] for r in results), default=0),
        "samplerErrors": sum(1 for s in samples if "error" in s),
        "otherStatesSeen": sorted({st for s in good for st in s["states"] if st not in BILLED + ("stopping",)}),
        "hours": hours,
        "samples": [{"t": round(s["t"], 2), **s.get("states", {}), "target": s.get("target"), "load": s.get("load"),
                     "inFlight": s.get("inFlight")} for s in good],
    }


def ms(seconds):
    return "—" if seconds is None else f"{seconds * 1000:.0f} ms"


def report_markdown(summary):
    lines = ["| hour | req/s (curve) | req/s (sent) | ready replicas (mean) | billed replicas (mean / max) | served by frontier | TTFT p50 | errors |",
             "|---|---|---|---|---|---|---|---|"]
    for h in summary["hours"]:
        share = "—" if h["fallbackShare"] is None else f"{h['fallbackShare'] * 100:.0f}%"
        lines.append(f"| {h['hour']:02d}:00 | {h['curveRate']:.1f} | {h['ratePerSecond']:.2f} | {h['readyMean']:.1f} | "
                     f"{h['billedMean']:.1f} / {h['billedMax']} | {share} | {ms(h['ttftP50'])} | {h['errors']} |")
    t, a, e = summary["ttft"], summary["admissions"], summary.get("endToEnd", {})
    n = summary["requests"]
    lines += ["", "| measure | value |", "|---|---|",
              f"| requests | {n:,} |",
              f"| replica-hours used (billed: starting + ready + draining) | {summary['replicaHours']:.1f} (ready only: {summary['readyReplicaHours']:.1f}) |",
              f"| static for the peak ({summary['peakBilledReplicas']} replicas × 24 h) | {summary['staticReplicaHours']} |",
              f"| saving | {summary['saving'] * 100:.0f}% |" if summary["saving"] is not None else "| saving | — |",
              f"| TTFT p50 / p99, all | {ms(t['all']['p50'])} / {ms(t['all']['p99'])} |"]
    for model in (MODEL, FALLBACK):
        if model in t:
            lines.append(f"| TTFT p50 / p99, served by {model} ({t[model]['n']:,}) | {ms(t[model]['p50'])} / {ms(t[model]['p99'])} |")
    for model in (MODEL, FALLBACK):
        if model in e:
            lines.append(f"| end-to-end p50 / p99, served by {model} | {ms(e[model]['p50'])} / {ms(e[model]['p99'])} |")
    lines += [f"| waited on a cold start (target 0) | {a['cold_start_wait']:.0f} |",
              f"| spilled to frontier | {a['spilled']:.0f} ({a['spilled'] / n * 100 if n else 0:.1f}%) |",
              f"| queued / queue full / timed out | {a['queued']:.0f} / {a['queue_full']:.0f} / {a['timed_out']:.0f} |",
              f"| errors (target 0) | {summary['errors']} |",
              f"| peak replicas (billed) | {summary['peakBilledReplicas']} |",
              f"| scaling decisions up / down | {summary['scalingDecisions']['up']:.0f} / {summary['scalingDecisions']['down']:.0f} |"]
    return "\n".join(lines)


def svg_chart(summary):
    width, height = 960, 470
    left, right, top = 60, 60, 40
    plot_h, share_top, share_h = 260, 362, 60
    plot_w = width - left - right
    day = summary["day"]
    samples = summary["samples"]
    max_replicas = max(8, summary["peakBilledReplicas"])
    max_rate = 16.0

    def x(seconds):
        return left + plot_w * min(max(seconds, 0), day) / day

    def y_rep(count):
        return top + plot_h * (1 - count / max_replicas)

    def y_rate(value):
        return top + plot_h * (1 - value / max_rate)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           'font-family="Helvetica, Arial, sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="22" font-size="15" font-weight="bold">open-8b replicas over a compressed day '
           f'({day:g} s, seed {summary["seed"]})</text>']
    for count in range(0, max_replicas + 1, 2):
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y_rep(count):.1f}" y2="{y_rep(count):.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 8}" y="{y_rep(count) + 4:.1f}" text-anchor="end">{count}</text>')
    for value in range(0, int(max_rate) + 1, 4):
        out.append(f'<text x="{left + plot_w + 8}" y="{y_rate(value) + 4:.1f}" fill="#b35900">{value}</text>')
    for h in range(0, 25, 2):
        px = x(h * day / 24)
        out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{top}" y2="{share_top + share_h}" stroke="#f0f0f0"/>')
        out.append(f'<text x="{px:.1f}" y="{share_top + share_h + 16}" text-anchor="middle">{h:02d}:00</text>')
    out.append(f'<text transform="translate(18,{top + plot_h / 2}) rotate(-90)" text-anchor="middle">replicas</text>')
    out.append(f'<text transform="translate({width - 16},{top + plot_h / 2}) rotate(90)" text-anchor="middle" fill="#b35900">requests per second</text>')

    def steps(key_fn):
        points = []
        for s, following in zip(samples, samples[1:] + [None]):
            if s["t"] > day:
                break
            end = following["t"] if following else s["t"] + 1
            points.append((x(s["t"]), y_rep(key_fn(s))))
            points.append((x(min(end, day)), y_rep(key_fn(s))))
        return points

    ready = steps(lambda s: s.get("ready", 0))
    if ready:
        area = " ".join(f"{px:.1f},{py:.1f}" for px, py in ready)
        out.append(f'<polygon points="{ready[0][0]:.1f},{y_rep(0):.1f} {area} {ready[-1][0]:.1f},{y_rep(0):.1f}" '
                   'fill="#9ecae1" fill-opacity="0.8"/>')
    # Requests sent per quarter-hour, as thin bars against the right axis.
    quarter = day / 96
    counts = [0] * 96
    for t in summary.get("arrivalTimes", []):
        counts[min(95, int(t / quarter))] += 1
    for q, c in enumerate(counts):
        if c:
            r = c / quarter
            out.append(f'<rect x="{x(q * quarter):.1f}" y="{y_rate(r):.1f}" width="{plot_w / 96 - 0.5:.2f}" '
                       f'height="{y_rate(0) - y_rate(r):.1f}" fill="#f0a35e" fill-opacity="0.45"/>')

    billed = steps(lambda s: sum(s.get(st, 0) for st in BILLED))
    if billed:
        out.append('<polyline fill="none" stroke="#08519c" stroke-width="1.6" points="'
                   + " ".join(f"{px:.1f},{py:.1f}" for px, py in billed) + '"/>')
    curve = [(x(i * day / 480), y_rate(rate(i * 24 / 480))) for i in range(481)]
    out.append('<polyline fill="none" stroke="#d94801" stroke-width="1.4" stroke-dasharray="5,3" points="'
               + " ".join(f"{px:.1f},{py:.1f}" for px, py in curve) + '"/>')
    out.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>')

    # Share of each hour's answers served by the fallback.
    out.append(f'<text x="{left}" y="{share_top - 8}">share of each hour\'s answers served by frontier (spilled)</text>')
    out.append(f'<text x="{left - 8}" y="{share_top + 4}" text-anchor="end">100%</text>')
    out.append(f'<text x="{left - 8}" y="{share_top + share_h + 4}" text-anchor="end">0%</text>')
    out.append(f'<rect x="{left}" y="{share_top}" width="{plot_w}" height="{share_h}" fill="none" stroke="#999"/>')
    for h in summary["hours"]:
        share = h["fallbackShare"]
        if share:
            bar = share_h * share
            out.append(f'<rect x="{x(h["hour"] * day / 24) + 2:.1f}" y="{share_top + share_h - bar:.1f}" '
                       f'width="{plot_w / 24 - 4:.1f}" height="{bar:.1f}" fill="#756bb1"/>')
            inside = bar > 16
            label_y = share_top + share_h - bar + (12 if inside else -3)
            out.append(f'<text x="{x((h["hour"] + 0.5) * day / 24):.1f}" y="{label_y:.1f}" text-anchor="middle" font-size="10" '
                       f'fill="{"white" if inside else "black"}">{share * 100:.0f}%</text>')

    legend = [("#9ecae1", "ready replicas", "rect"), ("#08519c", "billed (starting + ready + draining)", "line"),
              ("#d94801", "rate curve (right axis)", "dash"), ("#f6c9a0", "requests sent per quarter-hour (right axis)", "rect")]
    lx = left
    for color, label, kind in legend:
        ly = height - 14
        if kind == "rect":
            out.append(f'<rect x="{lx}" y="{ly - 9}" width="14" height="10" fill="{color}"/>')
        else:
            dash = ' stroke-dasharray="5,3"' if kind == "dash" else ""
            out.append(f'<line x1="{lx}" x2="{lx + 14}" y1="{ly - 4}" y2="{ly - 4}" stroke="{color}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{lx + 19}" y="{ly}">{label}</text>')
        lx += 24 + 6.6 * len(label)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replot", metavar="JSON", help="only redraw the SVG and reprint the tables from a saved report")
    parser.add_argument("--agent", help="the agent's public URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--admin", help="the agent's admin URL")
    parser.add_argument("--key", help="an API key")
    parser.add_argument("--token", default=None, help="the cluster token (default: $LUMEN_CLUSTER_TOKEN)")
    parser.add_argument("--day", type=float, default=480, help="seconds for 24 hours")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", default="Benchmarks/results/autoscale.json")
    parser.add_argument("--svg", default="Benchmarks/results/autoscale.svg")
    args = parser.parse_args()
    if args.replot:
        with open(args.replot) as file:
            summary = json.load(file)
        with open(args.svg, "w") as file:
            file.write(svg_chart(summary))
        print(report_markdown(summary))
        return
    if not (args.agent and args.admin and args.key):
        parser.error("--agent, --admin and --key are required")
    if args.token is None:
        args.token = os.environ.get("LUMEN_CLUSTER_TOKEN") or sys.exit("Error: set LUMEN_CLUSTER_TOKEN or pass --token.")
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    results, samples, before, after = asyncio.run(run(args))
    summary = summarise(args, results, samples, before, after)
    summary["started"] = started
    summary["arrivalTimes"] = [round(r["t"], 3) for r in sorted(results, key=lambda r: r["t"])]
    summary["requestsDetail"] = [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
                                 for r in sorted(results, key=lambda r: r["t"])]
    with open(args.json, "w") as file:
        json.dump(summary, file, indent=1)
    with open(args.svg, "w") as file:
        file.write(svg_chart(summary))
    print(f"Run of {started}, day {args.day:g} s, seed {args.seed}\n")
    print(report_markdown(summary))
    if summary["errors"]:
        print(f"\n{summary['errors']} errors, e.g.: " + "; ".join(summary["errorSamples"][:3]))
    if summary["maxLateSeconds"] > 0.5:
        print(f"\nwarning: the load generator fell behind its schedule by up to {summary['maxLateSeconds']:.2f} s")
    if summary["samplerErrors"]:
        print(f"\nwarning: {summary['samplerErrors']} replica samples failed")
    if summary["otherStatesSeen"]:
        print(f"\nwarning: replicas were seen in states {summary['otherStatesSeen']}")
    if summary["samplerErrors"] > 0.1 * max(1, len(samples)) or (results and summary["errors"] == len(results)):
        sys.exit(f"Error: the agent stopped answering during the run ({summary['samplerErrors']} of {len(samples)} replica samples failed, "
                 f"{summary['errors']} of {len(results)} requests failed); results were still written to {args.json}.")


if __name__ == "__main__":
    main()
