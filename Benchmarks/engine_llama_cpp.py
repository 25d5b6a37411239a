#!/usr/bin/env python3
"""llama.cpp's speed on a GGUF model, the reference for lumen-engine's: prefill tokens/s (one eval
of N prompt tokens, best of --repeats after a warm-up) and single-stream greedy decode tokens/s
(one token per eval, M tokens after a short prompt, timed from the first token to the last, best
of --repeats). Prompts are BOS plus a fixed-seed draw of the vocabulary's ids that are not control,
unknown or unused tokens, so no tokenizer is involved. Prints JSON.
Needs llama-cpp-python (scripts/llama-reference.sh builds a virtual environment with it).
Usage: engine_llama_cpp.py MODEL.gguf [--threads T] [--prompt-tokens N] [--decode-tokens M]
       [--decode-prompt-tokens P] [--repeats R] [--seed S]"""
import argparse
import ctypes
import json
import os
import random
import sys
import time

import numpy as np

try:
    import llama_cpp
except ImportError:
    sys.exit("Error: llama_cpp is not importable; run this with the python of the virtual environment "
             "scripts/llama-reference.sh builds (LLAMA_REFERENCE_VENV, e.g. /work/llamaref/bin/python).")

SKIPPED_ATTRIBUTES = llama_cpp.LLAMA_TOKEN_ATTR_CONTROL | llama_cpp.LLAMA_TOKEN_ATTR_UNKNOWN | llama_cpp.LLAMA_TOKEN_ATTR_UNUSED


def plain_ids(llm):
    """The vocabulary's ids a prompt may hold: no control, unknown or unused tokens."""
    model = llm._model  # noqa: SLF001 - llama-cpp-python exposes the attributes only here
    return [i for i in range(llm.n_vocab()) if not model.token_get_attr(i) & SKIPPED_ATTRIBUTES]


def prompt(llm, ids, count, rng):
    """BOS and count - 1 ids drawn with rng."""
    return [llm.token_bos()] + [rng.choice(ids) for _ in range(count - 1)]


def last_logits_argmax(llm):
    """Greedy choice from the logits of the last evaluated token (llama.cpp keeps only those)."""
    logits = np.ctypeslib.as_array(ctypes.cast(llm._ctx.get_logits_ith(-1), ctypes.POINTER(ctypes.c_float)),  # noqa: SLF001
                                   shape=(llm.n_vocab(),))
    return int(np.argmax(logits))


def prefill(llm, tokens):
    """Seconds for one eval of tokens from an empty cache."""
    llm.reset()
    started = time.perf_counter()
    llm.eval(tokens)
    return time.perf_counter() - started


def decode(llm, tokens, steps):
    """Seconds from the first generated token to the last of `steps`, greedy, one token per eval."""
    llm.reset()
    llm.eval(tokens)
    token = last_logits_argmax(llm)  # the first token: its time counts as prefill
    started = time.perf_counter()
    for _ in range(steps - 1):
        llm.eval([token])
        token = last_logits_argmax(llm)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--prompt-tokens", type=int, default=256, help="prefill prompt length N, BOS included")
    parser.add_argument("--decode-tokens", type=int, default=128, help="tokens M generated in the decode test")
    parser.add_argument("--decode-prompt-tokens", type=int, default=16, help="prompt length before the decode test")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.prompt_tokens < 2 or args.decode_tokens < 2 or args.decode_prompt_tokens < 1:
        sys.exit("Error: --prompt-tokens and --decode-tokens must be at least 2, --decode-prompt-tokens at least 1.")

    context = max(args.prompt_tokens, args.decode_prompt_tokens + args.decode_tokens) + 16
    loaded = time.perf_counter()
    llm = llama_cpp.Llama(model_path=args.model, n_ctx=context, n_threads=args.threads, n_threads_batch=args.threads,
                          n_batch=512, verbose=False)
    load_seconds = time.perf_counter() - loaded
    ids = plain_ids(llm)
    rng = random.Random(args.seed)
    long_prompt = prompt(llm, ids, args.prompt_tokens, rng)
    short_prompt = prompt(llm, ids, args.decode_prompt_tokens, rng)

    prefill(llm, long_prompt)  # warm-up
    prefill_seconds = min(prefill(llm, long_prompt) for _ in range(args.repeats))
    decode(llm, short_prompt, min(8, args.decode_tokens))  # warm-up
    decode_seconds = min(decode(llm, short_prompt, args.decode_tokens) for _ in range(args.repeats))

    print(json.dumps({
        "engine": "llama.cpp",
        "llama_cpp_python": llama_cpp.__version__,
        "model": os.path.basename(args.model),
        "threads": args.threads,
        "context": context,
        "load_seconds": round(load_seconds, 3),
        "vocabulary": llm.n_vocab(),
        "prompt_ids_drawn_from": len(ids),
        "prefill": {"prompt_tokens": len(long_prompt), "seconds": round(prefill_seconds, 4),
                    "tokens_per_second": round(len(long_prompt) / prefill_seconds, 1), "best_of": args.repeats},
        "decode": {"prompt_tokens": len(short_prompt), "tokens": args.decode_tokens, "seconds": round(decode_seconds, 4),
                   "tokens_per_second": round((args.decode_tokens - 1) / decode_seconds, 1), "best_of": args.repeats,
                   "timed": "first generated token to last"},
    }, indent=2))


if __name__ == "__main__":
    main()
