#!/usr/bin/env python3
"""Writes the LumenFormats test fixtures from an independent encoder: PyPI's `gguf` package.

    pip install gguf numpy
    python3 scripts/format-fixtures.py          # writes Tests/LumenFormatsTests/Fixtures/

Per weight format NAME (all little-endian):
  NAME.weights   raw GGUF blocks: gguf.quants.quantize() where gguf can quantise the type
                 (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0); for the K-quants, which gguf only
                 dequantises, random bytes with moderate finite half-precision d/dmin.
  NAME.dequant   float32: gguf.quants.dequantize(NAME.weights).
Shared:
  input.f32      the seeded float input row (VALUES floats; block 0 holds rounding ties, one Q8_0
                 block is all zeros, the largest magnitudes are negative in some blocks).
  input.q8_0.ref   gguf.quants.quantize(input, Q8_0) (ggml's quantize_row_q8_0_ref).
  input.q8_0       a port of ggml's x86 AVX2 quantize_row_q8_0 (127/max, round half to even).
  input.q8_1.ref   a port of quantize_row_q8_1_ref (gguf-py has no Q8_1 quantiser).
  input.q8_1       a port of the AVX2 quantize_row_q8_1.
  input.q8_K       a port of quantize_row_q8_K_ref (gguf-py has no Q8_K quantiser).
  input.f16, input.bf16   gguf.quants.quantize(input, F16 / BF16).
Rerun after changing anything here; the tests read whatever is in the folder.
"""
import os
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

VALUES = 1024  # one row: 32 blocks of 32, 4 super-blocks of 256
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "LumenFormatsTests", "Fixtures")

rng = np.random.default_rng(20240607)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(data).tobytes())
    return os.path.getsize(path)


def make_input():
    x = f32(rng.standard_normal(VALUES) * 0.8)
    # Block 0: exact ties for the Q8 quantisers (max 127 → id = 1; and for Q8_K max −127 → iscale 1).
    ties = f32([0.5, 1.5, -2.5, 3.5, -0.5, 126.5, -126.5, 2.5, 4.5, -5.5, 6.5, 7.5, -8.5, 9.5, 10.5, 11.5])
    x[0:16] = ties
    x[16] = 127.0
    x[17:32] = f32(rng.uniform(-100, 100, 15)).round() + f32(0.5)
    # Block 1 all zeros (d = 0 path of Q8_0/Q8_1).
    x[32:64] = 0
    # Super-block 1 (values 256…511): its largest magnitude negative, appearing twice.
    x[300] = -9.0
    x[400] = -9.0
    x[401] = 8.999
    x[200] = -126.0
    return x


def q8_0_avx(x):
    out = bytearray()
    for b in range(len(x) // 32):
        v = x[32 * b:32 * b + 32]
        amax = np.max(np.abs(v))
        d = f32(amax) / f32(127)
        idv = f32(127) / f32(amax) if amax != 0 else f32(0)
        q = np.rint(v * idv).astype(np.int8)
        out += np.float16(d).tobytes() + q.tobytes()
    return bytes(out)


def q8_1(x, reference):
    out = bytearray()
    for b in range(len(x) // 32):
        v = x[32 * b:32 * b + 32]
        amax = np.max(np.abs(v))
        d = f32(amax) / f32(127)
        if reference:
            idv = f32(1) / d if d != 0 else f32(0)
            q = quants.np_roundf(v * idv).astype(np.int8)
        else:
            idv = f32(127) / f32(amax) if amax != 0 else f32(0)
            q = np.rint(v * idv).astype(np.int8)
        s = f32(int(q.astype(np.int32).sum())) * d
        out += np.float16(d).tobytes() + np.float16(s).tobytes() + q.tobytes()
    return bytes(out)


def q8_K(x):
    out = bytearray()
    for b in range(len(x) // 256):
        v = x[256 * b:256 * b + 256]
        amax, mx = f32(0), f32(0)
        for value in v:  # the first of the largest magnitude, as ggml's strict '>'
            if abs(value) > amax:
                amax, mx = abs(value), value
        if amax == 0:
            out += bytes(292)
            continue
        iscale = f32(-127) / f32(mx)
        q = np.minimum(127, np.rint(f32(iscale) * v)).astype(np.int8)  # nearest_int: ties to even
        bsums = q.astype(np.int32).reshape(16, 16).sum(axis=1).astype(np.int16)
        out += f32(f32(1) / iscale).tobytes() + q.tobytes() + bsums.tobytes()
    return bytes(out)


def random_k_blocks(qtype, blocks):
    block_size, type_size = quants.GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(blocks, type_size), dtype=np.uint8)
    d = np.float16(rng.uniform(0.002, 0.02, blocks)).view(np.uint8).reshape(blocks, 2)
    dmin = np.float16(rng.uniform(0.001, 0.01, blocks)).view(np.uint8).reshape(blocks, 2)
    if qtype == T.Q2_K:       # scales[16] qs[64] d dmin
        raw[:, 80:82], raw[:, 82:84] = d, dmin
    elif qtype == T.Q3_K:     # hmask[32] qs[64] scales[12] d
        raw[:, 108:110] = d
    elif qtype in (T.Q4_K, T.Q5_K):  # d dmin scales[12] …
        raw[:, 0:2], raw[:, 2:4] = d, dmin
    elif qtype == T.Q6_K:     # ql[128] qh[64] scales[16] d
        raw[:, 208:210] = d
    return raw


def main():
    os.makedirs(OUT, exist_ok=True)
    total = 0
    x = make_input()
    total += write("input.f32", x)
    ref = quants.quantize(x.reshape(1, -1), T.Q8_0)
    total += write("input.q8_0.ref", ref)
    total += write("input.q8_0", np.frombuffer(q8_0_avx(x), dtype=np.uint8))
    total += write("input.q8_1.ref", np.frombuffer(q8_1(x, True), dtype=np.uint8))
    total += write("input.q8_1", np.frombuffer(q8_1(x, False), dtype=np.uint8))
    total += write("input.q8_K", np.frombuffer(q8_K(x), dtype=np.uint8))
    total += write("input.f16", quants.quantize(x, T.F16))
    total += write("input.bf16", quants.quantize(x.reshape(1, -1), T.BF16))

    weights = f32(rng.standard_normal(VALUES) * 0.05)
    weights[5] = 0.3  # an outlier
    for qtype in (T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0):
        w = weights.reshape(1, -1)
        data = quants.quantize(w, qtype)
        data = np.ascontiguousarray(data).view(np.uint8).reshape(-1)
        deq = quants.dequantize(data.reshape(1, -1), qtype).astype(np.float32).reshape(-1)
        total += write(qtype.name + ".weights", data)
        total += write(qtype.name + ".dequant", deq)
    for qtype in (T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K):
        raw = random_k_blocks(qtype, VALUES // 256)
        deq = quants.dequantize(raw.reshape(1, -1), qtype).astype(np.float32).reshape(-1)
        assert np.all(np.isfinite(deq)), qtype
        total += write(qtype.name + ".weights", raw.reshape(-1))
        total += write(qtype.name + ".dequant", deq)
    print(f"wrote {total} bytes of fixtures to {os.path.normpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
