#!/usr/bin/python3
"""One day of churn on a demo store, as the repository benchmark measures it:
1% of the content documents rewritten, 0.2% deleted with their vectors
(remove_ids), 1% added with vectors. Rewritten and added documents have the
shape and number format of the store's own (the demo's: compact JSON, six
decimals per embedding value), so a day adds what a real revision would.
Writes Redis through redis-cli --pipe.

    repo-churn.py SOCKET CONTENT_INDEX SEED
"""
import json
import random
import subprocess
import sys

import faiss
import numpy as np

sock, ci, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(seed)
cli = ["redis-cli", "-s", sock]
keys = subprocess.run(cli + ["--scan", "--pattern", "chimera-vectors:*"],
                      capture_output=True, text=True, check=True).stdout.split()
ix = faiss.read_index(ci)
d = ix.d
n = len(keys)


def resp(*args):
    out = ["*%d\r\n" % len(args)]
    for a in args:
        b = a.encode() if isinstance(a, str) else a
        out.append("$%d\r\n" % len(b))
        out.append(b.decode("latin-1") + "\r\n")
    return "".join(out)


def embedding(v):
    # As the store's own documents hold them: six decimals, no spaces.
    return "[" + ",".join("%.6f" % x for x in v) + "]"


def doc(fid, old=None):
    """A document shaped like the store's: the fields of the old one kept
    (a revision), or new ones; a new title and a new embedding."""
    v = np.random.default_rng(rng.randrange(1 << 30)).random(d).astype("float32") - 0.5
    v /= np.linalg.norm(v)
    fields = dict(old) if old else {
        "id": "%08x-%04x-4%03x-a%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                               rng.getrandbits(12), rng.getrandbits(12),
                                               rng.getrandbits(48)),
        "faiss_id": fid, "category": "technology", "language": "en",
        "author": "Sara Weber", "word_count": rng.randrange(300, 3000),
        "created_at": "2024-06-%02dT09:00:00Z" % (seed % 28 + 1)}
    fields.pop("embedding", None)
    fields["title"] = "Document %d, revision %d" % (fields.get("faiss_id", fid), seed)
    head = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return head[:-1] + ',"embedding":' + embedding(v) + "}", v


def current(ks):
    """The documents now stored under ks (JSON objects; {} where unreadable)."""
    out = subprocess.run(cli + ["mget"] + ks, capture_output=True, check=True).stdout
    docs = []
    for line in out.decode("utf-8", "replace").split("\n")[:len(ks)]:
        try:
            docs.append(json.loads(line))
        except ValueError:
            docs.append({})
    return docs


cmds = []
changed = rng.sample(keys, n // 100)
for i in range(0, len(changed), 500):
    part = changed[i:i + 500]
    for k, old in zip(part, current(part)):
        cmds.append(resp("SET", k, doc(rng.randrange(1 << 30), old or None)[0]))
gone = rng.sample(keys, max(1, n // 500))
cmds.append(resp("DEL", *gone))
ids = faiss.vector_to_array(ix.id_map)
ix.remove_ids(np.array(rng.sample(list(ids), len(gone)), dtype="int64"))
start = int(ids.max()) + 1
vecs = []
for i in range(n // 100):
    text, v = doc(start + i)
    cmds.append(resp("SET", "chimera-vectors:day%d-%d" % (seed, i), text))
    vecs.append(v)
ix.add_with_ids(np.array(vecs, dtype="float32"), np.arange(start, start + len(vecs), dtype="int64"))
subprocess.run(cli + ["--pipe"], input="".join(cmds).encode("latin-1"), check=True,
               capture_output=True)
tmp = ci + ".tmp"
faiss.write_index(ix, tmp)
import os
os.replace(tmp, ci)
