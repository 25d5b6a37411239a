#!/usr/bin/env python3
"""Gathers Benchmarks/engine.sh's measurements into one JSON report and prints markdown tables:
lumen-engine against llama.cpp (prefill and decode tokens/s per weight type), then lumen-engine's
own (8 streams against 1, prefix TTFT cold and warm, speculative decoding against none).
Usage: engine_report.py WORK_DIR OUT.json  (WORK_DIR holds settings.json, notes.txt and the
engine_llama_cpp.py and engine_client.py outputs engine.sh names)"""
import json
import os
import subprocess
import sys


def main():
    work, out = sys.argv[1], sys.argv[2]

    def load(name):
        path = os.path.join(work, name + ".json")
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            return None
        with open(path) as file:
            return json.load(file)

    settings = load("settings")
    with open(os.path.join(work, "notes.txt")) as file:
        notes = file.read().splitlines()
    types, main_type = settings["types"], "large"
    large = settings["large"]
    with open("/proc/cpuinfo") as file:
        cpu = next((line.split(":", 1)[1].strip() for line in file if line.startswith("model name")), "unknown")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    report = {"settings": settings, "machine": {"cpu": cpu, "cores": os.cpu_count(), "load_average_at_end": os.getloadavg()[0]}, "commit": commit,
              "engines": {}, "notes": notes}

    rows = []
    for kind in types + ["large"]:
        llama, prefill, decode = load(f"llama-{kind}"), load(f"lumen-{kind}-prefill"), load(f"lumen-{kind}-decode")
        report["engines"][kind] = {"llama_cpp": llama, "lumen": {"prefill": prefill, "decode": decode}}
        rows.append((f"prefill {kind}, {prefill['prompt_tokens']}-token prompt", (llama or {}).get("prefill", {}).get("tokens_per_second"),
                     prefill["tokens_per_second"]))
        rows.append((f"decode {kind}, {decode['tokens']} tokens", (llama or {}).get("decode", {}).get("tokens_per_second"),
                     decode["tokens_per_second"]))
    report["concurrency"] = concurrency = load("concurrency")
    report["prefix"] = prefix = load("prefix")
    speculative = {}
    for name, server, prompt in [("prompt_lookup", "lookup", "repetitive"), ("draft_model", "draft", "plain")]:
        baseline, measured = load(f"plain-{prompt}"), load(f"{server}-{prompt}")
        speculative[name] = {"prompt": prompt, "baseline": baseline, "speculative": measured,
                             "speedup": round(measured["tokens_per_second"] / baseline["tokens_per_second"], 2) if measured and baseline else None,
                             "acceptance": (measured or {}).get("acceptance")}
    report["speculative"] = speculative
    with open(out, "w") as file:
        json.dump(report, file, indent=2)
        file.write("\n")

    def number(value):
        return "—" if value is None else f"{value:,.1f}"

    llama_version = (load(f"llama-{types[0]}") or {}).get("llama_cpp_python")
    lines = [f"lumen-engine {commit} against llama.cpp (llama-cpp-python {llama_version or 'absent'}): tiny-model "
             f"{settings['embedding']}-wide, {settings['layers']} layers, {settings['heads']} heads, seed {settings['seed']}; {settings['threads']} threads; {cpu}, "
             f"{os.cpu_count()} cores, load average {settings['load_average_at_start']} at the start, {os.getloadavg()[0]:.2f} at the end",
             "", "| tokens/s | llama.cpp | lumen-engine | lumen / llama.cpp |", "|---|---:|---:|---:|"]
    for label, theirs, ours in rows:
        share = f"{100 * ours / theirs:.0f}%" if theirs and ours else "—"
        lines.append(f"| {label} | {number(theirs)} | {number(ours)} | {share} |")
    lines += ["", f"| lumen-engine, large: {large['embedding']}-wide, {large['layers']} layers, {large['heads']} heads, {large['type']}, later layers x{large['later_layer_scale']} | measured |",
              "|---|---|"]
    if concurrency:
        by = concurrency["by_streams"]
        one, many = by["1"]["aggregate_tokens_per_second"], by[str(settings["streams"])]["aggregate_tokens_per_second"]
        lines.append(f"| {settings['streams']} streams / 1 stream, aggregate decode tok/s | {many:,.1f} / {one:,.1f} = {many / one:.2f}x |")
    if prefix:
        cached = sorted(prefix["warm"]["cached_tokens"])[len(prefix["warm"]["cached_tokens"]) // 2]
        lines.append(f"| prefix TTFT cold / warm, {prefix['prompt_tokens'][0]}-token prompts, median of {prefix['runs']} | "
                     f"{1000 * prefix['cold']['ttft_median_seconds']:.0f} ms / {1000 * prefix['warm']['ttft_median_seconds']:.0f} ms = "
                     f"{prefix['cold_over_warm']:.2f}x; warm cached_tokens median {cached} |")
    for name, label in [("prompt_lookup", "--prompt-lookup vs none, repetitive prompt, decode tok/s"),
                        ("draft_model", "--draft-model (1 layer, same seed) vs none, decode tok/s")]:
        entry = speculative[name]
        if entry["speculative"] and entry["baseline"]:
            acceptance = "—" if entry["acceptance"] is None else f"{100 * entry['acceptance']:.0f}%"
            lines.append(f"| {label} | {entry['speculative']['tokens_per_second']:,.1f} vs {entry['baseline']['tokens_per_second']:,.1f} "
                         f"= {entry['speedup']:.2f}x; acceptance {acceptance} |")
        else:
            lines.append(f"| {label} | not measured |")
    if notes:
        lines += [""] + [f"Note: {note}" for note in notes]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
