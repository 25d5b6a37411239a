"""lumen-engine against llama.cpp: tokenization and greedy top-1 tokens, per model and prompt, for
tiny models with a SentencePiece vocabulary and with a byte-level BPE one (llama: Llama 3's
pre-tokenizer, qwen2: Qwen2's).

Run through scripts/llama-reference.sh, which provides llama-cpp-python and lumen-engine."""
import json
import subprocess
import sys
import tempfile

import llama_cpp

PROMPTS = [
    "hello the model",
    "the gateway answered the question about the route",
    "Hello, world! What is a replica?",
    "café 日本語 🚀 tokens",
    "one two three four five six seven eight nine ten",
    "I'll say DON'T, we've 12345 apples and 2024-06-01!!!",
    "line one\n\nline two  \n  indented\tand tabs \r\n",
    "naïve wörld: ½ + ² = 3.14159? «quoted» — dash",
    "    leading spaces... and trailing   ",
]


def llama_greedy(model_path, prompt, steps):
    llm = llama_cpp.Llama(model_path=model_path, n_ctx=512, n_threads=2, verbose=False, logits_all=True)
    tokens = llm.tokenize(prompt.encode(), add_bos=True)
    llm.eval(tokens)
    out, logits = [], []
    for _ in range(steps):
        scores = llm.scores[llm.n_tokens - 1]
        best = max(range(len(scores)), key=lambda i: (scores[i], -i))
        out.append(best)
        logits.append(list(scores))
        llm.eval([best])
    return tokens, out, logits


def main():
    engine, steps = sys.argv[1], int(sys.argv[2])
    failures = 0
    widest_gaps = []
    with tempfile.TemporaryDirectory() as scratch:
        for tokenizer, arch in [(tokenizer, arch) for tokenizer in ["spm", "bpe"] for arch in ["llama", "qwen2"]]:
            for kind in ["f32", "f16", "q8_0"]:
                path = f"{scratch}/{arch}-{tokenizer}-{kind}.gguf"
                subprocess.run([engine, "tiny-model", "--output", path, "--architecture", arch, "--type", kind,
                                "--tokenizer", tokenizer], check=True, stdout=subprocess.DEVNULL)
                same_steps = total_steps = same_prompts = 0
                first_miss = None
                near_ties = []
                for prompt in PROMPTS:
                    ours = json.loads(subprocess.run([engine, "generate", "--model", path, "--prompt", prompt,
                                                      "--max-tokens", str(steps)], check=True, capture_output=True,
                                                     text=True).stdout)
                    prompt_tokens, theirs, their_logits = llama_greedy(path, prompt, steps)
                    same_prompts += ours["prompt_tokens"] == prompt_tokens
                    # Compare step by step until the first difference (after it, the contexts differ).
                    for step, (a, b) in enumerate(zip(ours["tokens"], theirs)):
                        total_steps += 1
                        if a != b:
                            # How far apart llama.cpp itself puts the two tokens: a near-tie is a
                            # difference of rounding, not of the model.
                            gap = their_logits[step][b] - their_logits[step][a]
                            near_ties.append(gap)
                            first_miss = first_miss or (f"{prompt!r} step {step}: lumen {a}, llama.cpp {b}; "
                                                        f"llama.cpp's logits for them differ by {gap:.4f}")
                            break
                        same_steps += 1
                    if ours["prompt_tokens"] != prompt_tokens and not first_miss:
                        first_miss = f"{prompt!r} tokens: lumen {ours['prompt_tokens']}, llama.cpp {prompt_tokens}"
                ok = same_prompts == len(PROMPTS) and same_steps == total_steps
                failures += not ok
                widest_gaps.extend(near_ties)
                print(f"{arch:6} {tokenizer:4} {kind:5} prompts tokenized alike {same_prompts}/{len(PROMPTS)}, "
                      f"greedy top-1 alike {same_steps}/{total_steps}" + ("" if ok else f"  first difference: {first_miss}"))
    if widest_gaps:
        print(f"differing steps: {len(widest_gaps)}; llama.cpp's own logits for its token and lumen's differ by at most {max(widest_gaps):.4f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
