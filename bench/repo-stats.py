#!/usr/bin/python3
"""Where the bytes of an unencrypted repository (format 2) are, per backup:

    repo-stats.py REPOSITORY

Each backup writes one index file naming the packs it added, so the index
files in the order they were written tell what each backup added: packs by
kind (rdb, faiss, meta: recipe trees), their chunks (raw and stored bytes,
how many zstd could shrink), the index file itself, and the manifests.
Uses the independent reader of tests/ (written from doc/FORMAT).
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import importlib.util  # noqa: E402

spec = importlib.util.spec_from_file_location(
    "reader", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                           "repo-reader.py"))
reader = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reader)

KINDS = ["rdb", "faiss", "meta"]


def main():
    repo = sys.argv[1]
    idir = os.path.join(repo, "index")
    names = sorted(os.listdir(idir), key=lambda n: os.stat(os.path.join(idir, n)).st_mtime)
    print("%-10s %5s %12s %12s %12s %9s %7s %10s" % ("index", "kind", "packs", "raw", "stored",
                                                  "chunks", "zstd", "idx file"))
    total = {}
    for name in names:
        path = os.path.join(idir, name)
        body = reader.envelope(reader.read(path), b"VSIX")
        (npacks,) = struct.unpack_from("<I", body, 4)
        pos, packs = 8, []
        for _ in range(npacks):
            pid = body[pos:pos + 32].hex()
            kind, size = struct.unpack_from("<BQ", body, pos + 32)
            packs.append((pid, kind, size))
            pos += 41
        (n,) = struct.unpack_from("<I", body, pos)
        pos += 4
        per = {}
        for _ in range(n):
            pack, off, stored, raw = struct.unpack_from("<IIII", body, pos + 32)
            k = packs[pack][1]
            p = per.setdefault(k, [0, 0, 0, 0, 0])
            p[1] += raw
            p[2] += stored
            p[3] += 1
            pos += 48
        for pid, k, size in packs:
            per.setdefault(k, [0, 0, 0, 0, 0])[0] += size
            with open(os.path.join(repo, "packs", pid[:2], pid), "rb") as f:
                data = f.read()
            tlen = struct.unpack_from("<I", data, len(data) - 8)[0]
            table = reader.envelope(data[len(data) - 8 - tlen:len(data) - 8], b"VSPT")
            (cnt,) = struct.unpack_from("<I", table, 0)
            for i in range(cnt):
                off, stored, raw = struct.unpack_from("<III", table, 4 + 44 * i + 32)
                if data[off] == 1:
                    per[k][4] += 1
        isize = os.path.getsize(path)
        first = True
        for k in sorted(per):
            p = per[k]
            t = total.setdefault(k, [0, 0, 0, 0, 0])
            for i in range(5):
                t[i] += p[i]
            print("%-10s %5s %12d %12d %12d %9d %7d %10s" % (
                name[:10] if first else "", KINDS[k], p[0], p[1], p[2], p[3], p[4],
                isize if first else ""))
            first = False
    print("total:")
    for k in sorted(total):
        t = total[k]
        print("%-10s %5s %12d %12d %12d %9d %7d" % ("", KINDS[k], *t))
    msize = sum(os.path.getsize(os.path.join(repo, "manifests", m))
                for m in os.listdir(os.path.join(repo, "manifests")))
    isize = sum(os.path.getsize(os.path.join(idir, m)) for m in os.listdir(idir))
    print("index files %d bytes, manifests %d bytes (%d)" % (isize, msize,
                                                            len(os.listdir(os.path.join(repo, "manifests")))))


if __name__ == "__main__":
    main()
