#!/usr/bin/python3
"""One day of churn on a demo store, as the repository benchmark measures it:
1% of the content documents rewritten, 0.2% deleted with their vectors
(remove_ids), 1% added with vectors. Writes Redis through redis-cli --pipe.

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


def doc(fid):
    v = np.random.default_rng(rng.randrange(1 << 30)).random(d).astype("float32")
    v /= np.linalg.norm(v)
    return json.dumps({"faiss_id": fid, "text": "document %d revised %d" % (fid, seed),
                       "embedding": [float(x) for x in v]}), v


cmds = []
for k in rng.sample(keys, n // 100):
    cmds.append(resp("SET", k, doc(rng.randrange(1 << 30))[0]))
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
