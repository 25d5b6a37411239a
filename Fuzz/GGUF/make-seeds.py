#!/usr/bin/env python3
"""Writes the small GGUF seeds in Fuzz/GGUF/corpus: every metadata type, the three tensor types the
engine reads, v2 and v3, a custom alignment. tiny-model-head.gguf there is the first 4 KiB of
`lumen-engine tiny-model --embedding 32 --layers 1 --context 32 --heads 1 --kv-heads 1 --type q8_0`
(real metadata keys and the start of a real vocabulary; the whole file is 77 KB, its header 17 KB)."""
import os
import struct

def string(text):
    data = text.encode()
    return struct.pack('<Q', len(data)) + data

def value(kind, item):
    formats = {0: '<B', 1: '<b', 2: '<H', 3: '<h', 4: '<I', 5: '<i', 6: '<f', 7: '<B', 10: '<Q', 11: '<q', 12: '<d'}
    if kind == 8:
        return string(item)
    if kind == 9:
        element, items = item
        return struct.pack('<IQ', element, len(items)) + b''.join(value(element, x) for x in items)
    return struct.pack(formats[kind], item)

def gguf(metadata, tensors, version=3, alignment=32):
    out = b'GGUF' + struct.pack('<IQQ', version, len(tensors), len(metadata))
    for key, kind, item in metadata:
        out += string(key) + struct.pack('<I', kind) + value(kind, item)
    data = b''
    for name, dims, kind, payload in tensors:
        data += b'\0' * (-len(data) % alignment)
        out += string(name) + struct.pack('<I', len(dims)) + b''.join(struct.pack('<Q', d) for d in dims)
        out += struct.pack('<IQ', kind, len(data))
        data += payload
    out += b'\0' * (-len(out) % alignment)
    return out + data

f32 = struct.pack('<4f', 1.0, -2.5, 0.0, 3.25)
f16 = struct.pack('<4e', 1.0, -2.5, 0.0, 65504.0)
q8 = struct.pack('<e', 0.5) + bytes(range(32))
common = [
    ('general.architecture', 8, 'llama'),
    ('general.name', 8, 'fuzz seed'),
    ('llama.context_length', 4, 64),
    ('llama.embedding_length', 4, 4),
    ('llama.attention.head_count', 4, 1),
    ('llama.rope.freq_base', 6, 10000.0),
    ('tokenizer.ggml.model', 8, 'llama'),
    ('tokenizer.ggml.tokens', 9, (8, ['<unk>', '<s>', '</s>', '\u2581a'])),
    ('tokenizer.ggml.scores', 9, (6, [0.0, 0.0, 0.0, -1.0])),
    ('tokenizer.ggml.token_type', 9, (5, [2, 3, 3, 1])),
]
every_type = [(f'type.{kind}', kind, item) for kind, item in
              [(0, 255), (1, -128), (2, 65535), (3, -32768), (4, 7), (5, -7), (6, 1.5), (7, 1), (8, 'x'),
               (10, 2**63), (11, -2**63), (12, -0.0), (9, (9, [(4, [1, 2]), (8, [])]))]]
tensors = [('token_embd.weight', [4], 0, f32), ('output_norm.weight', [2, 2], 1, f16), ('blk.0.attn_q.weight', [32, 1], 8, q8)]

folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
os.makedirs(folder, exist_ok=True)
seeds = {
    'tensors-v3.gguf': gguf(common, tensors),
    'every-type-v2.gguf': gguf(every_type, tensors[:1], version=2),
    'alignment-64.gguf': gguf(common[:2] + [('general.alignment', 4, 64)], tensors, alignment=64),
    'unsupported-type.gguf': gguf(common[:1], [('q4.weight', [32], 2, b'\0' * 18)]),
}
for name, data in seeds.items():
    with open(os.path.join(folder, name), 'wb') as file:
        file.write(data)
