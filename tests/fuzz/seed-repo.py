#!/usr/bin/python3
"""Seed corpus of fuzz-repo-objects from a repository vsbackup wrote.

    seed-repo.py REPOSITORY... OUTDIR

Each input of the harness is one byte choosing the parser, then the
object (see fuzz-repo-objects.c):
  0  an index file's body (decoded)      1  an envelope as stored (index
  2  a manifest's JSON (decoded)            file, manifest, pack table)
  3  the raw length / 16, then a blob as stored in a pack
Encrypted repositories give envelopes and blobs only (their bodies are
sealed). Seeds are named by their SHA-256, as libFuzzer names them.
"""
import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "repo_reader", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "repo-reader.py"))
reader = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reader)

MAX_BLOBS = 6       # small blobs per pack
MAX_SEED = 64 * 1024


def put(out, selector, data):
    seed = bytes([selector]) + data
    if len(seed) > MAX_SEED:
        return
    name = hashlib.sha256(seed).hexdigest()
    with open(os.path.join(out, name), "wb") as f:
        f.write(seed)


def files(repo, sub):
    top = os.path.join(repo, sub)
    for dirpath, _, names in os.walk(top):
        for n in sorted(names):
            yield os.path.join(dirpath, n)


def seed_repository(repo, out):
    for path in files(repo, "index"):
        data = reader.read(path)
        put(out, 1, data)
        if not data[4] & 2:
            put(out, 0, reader.envelope(data, b"VSIX"))
    for path in files(repo, "manifests"):
        data = reader.read(path)
        put(out, 1, data)
        if not data[4] & 2:
            put(out, 2, reader.envelope(data, b"VSMF"))
    for path in files(repo, "packs"):
        data = reader.read(path)
        if data[-4:] != b"VSPE":
            continue
        (tlen,) = struct.unpack_from("<I", data, len(data) - 8)
        table = data[len(data) - 8 - tlen:len(data) - 8]
        put(out, 1, table)
        if table[4] & 2:
            # Sealed: the blobs' places are not readable here; take the
            # first bytes after the header as a blob all the same.
            put(out, 3, bytes([32 // 16]) + data[8:8 + 256])
            continue
        body = reader.envelope(table, b"VSPT")
        (count,) = struct.unpack_from("<I", body, 0)
        taken = 0
        for i in range(count):
            cid, off, stored, raw = struct.unpack_from("<32sIII", body, 4 + 44 * i)
            if raw > 4096 or raw % 16 != 0:
                continue
            put(out, 3, bytes([raw // 16]) + data[off:off + stored])
            taken += 1
            if taken == MAX_BLOBS:
                break


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: seed-repo.py REPOSITORY... OUTDIR")
    out = sys.argv[-1]
    os.makedirs(out, exist_ok=True)
    for repo in sys.argv[1:-1]:
        seed_repository(repo, out)


if __name__ == "__main__":
    main()
