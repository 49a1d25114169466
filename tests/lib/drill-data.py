#!/usr/bin/python3
"""Write a vector store the way a service would, with no vsbackup code:
JSON documents into a live Redis (through redis-cli --pipe, fed the Redis
protocol generated here) and the two FAISS indexes through Python's faiss.

  drill-data.py SOCK CONTENT_INDEX USER_INDEX [options]

Documents: {"id", "faiss_id", "title", "embedding"} under chimera-vectors:
(content), {"id", "segment", "about", "embedding", "faiss_id"} under
chimera-users: (user, the id far from the start); the content embedding is
written rounded to 6 decimals, as JSON text, the index holds the float32
vector itself.
Options make the store inconsistent on purpose:
  --drop K      the content index lacks the vectors of K documents
  --swap K      K pairs of content documents exchange their faiss_id
                (each then points at the other's vector)
  --ttl K       K content documents get a TTL of an hour
  --short-ttl K K more get a TTL of 6 seconds (the backup that follows
                must take its snapshot before; a drill after they are gone)
  --bad K       K content documents hold a vector one number short
  --kind KIND   content index: flat (IDMap over FlatL2, the default),
                ivf (IVFFlat, approximate search),
                hnsw (IDMap over HNSWFlat, approximate search)
  --user-raw    user vectors of any length in the inner-product index
"""
import argparse
import json
import os
import subprocess
import sys

import faiss
import numpy as np


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if not isinstance(a, bytes):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def write_index(index, path):
    tmp = path + ".tmp"
    faiss.write_index(index, tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sock")
    ap.add_argument("content_index")
    ap.add_argument("user_index")
    ap.add_argument("--content", type=int, default=300)
    ap.add_argument("--users", type=int, default=40)
    ap.add_argument("--dim", type=int, default=16)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--drop", type=int, default=0)
    ap.add_argument("--swap", type=int, default=0)
    ap.add_argument("--ttl", type=int, default=0)
    ap.add_argument("--short-ttl", type=int, default=0)
    ap.add_argument("--bad", type=int, default=0)
    ap.add_argument("--kind", choices=["flat", "ivf", "hnsw"], default="flat")
    ap.add_argument("--user-raw", action="store_true")
    a = ap.parse_args()

    rng = np.random.default_rng(a.seed)
    cmds = [resp("FLUSHALL")]

    # Content: ids 1000.. with gaps, L2 metric, vectors of any length.
    n, d = a.content, a.dim
    cvec = rng.normal(size=(n, d)).astype("float32")
    cids = np.arange(1000, 1000 + 3 * n, 3, dtype="int64")
    doc_ids = list(cids)
    for p in range(a.swap):
        i, j = 2 * p, 2 * p + 1
        doc_ids[i], doc_ids[j] = doc_ids[j], doc_ids[i]
    for i in range(n):
        key = "chimera-vectors:doc-%05d" % i
        emb = [round(float(x), 6) for x in cvec[i]]
        if n // 2 <= i < n // 2 + a.bad:
            emb = emb[:-1]
        doc = {"id": "doc-%05d" % i, "faiss_id": int(doc_ids[i]),
               "title": "document %d" % i, "embedding": emb}
        cmds.append(resp("SET", key, json.dumps(doc)))
        if i >= n - a.ttl:
            cmds.append(resp("EXPIRE", key, 3600))
        elif i >= n - a.ttl - a.short_ttl:
            cmds.append(resp("EXPIRE", key, 6))
    keep = n - a.drop
    if a.kind == "ivf":
        quant = faiss.IndexFlatL2(d)
        content = faiss.IndexIVFFlat(quant, d, 4)
        content.train(cvec)
        content.add_with_ids(cvec[:keep], cids[:keep])
    elif a.kind == "hnsw":
        content = faiss.IndexIDMap(faiss.IndexHNSWFlat(d, 16))
        content.add_with_ids(cvec[:keep], cids[:keep])
    else:
        content = faiss.IndexIDMap(faiss.IndexFlatL2(d))
        content.add_with_ids(cvec[:keep], cids[:keep])
    write_index(content, a.content_index)

    # Users: unit vectors, inner product, ids 0..m-1, an IDMap2.
    m = a.users
    uvec = rng.normal(size=(m, d)).astype("float32")
    if not a.user_raw:
        uvec /= np.linalg.norm(uvec, axis=1, keepdims=True)
    uids = np.arange(m, dtype="int64")
    for i in range(m):
        # The id after the vector and a long text: a layout where the
        # id is not among the first bytes of the document.
        doc = {"id": "user-%04d" % i, "segment": ["a", "b", "c"][i % 3],
               "about": "a user of the service, " * 30,
               "embedding": [float(x) for x in uvec[i]], "faiss_id": int(uids[i])}
        cmds.append(resp("SET", "chimera-users:user-%04d" % i, json.dumps(doc)))
    user = faiss.IndexIDMap2(faiss.IndexFlatIP(d))
    user.add_with_ids(uvec, uids)
    write_index(user, a.user_index)

    r = subprocess.run(["redis-cli", "-s", a.sock, "--pipe"], input=b"".join(cmds),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0 or b"errors: 0" not in r.stdout:
        sys.stderr.write(r.stdout.decode(errors="replace"))
        sys.exit(1)


if __name__ == "__main__":
    main()
