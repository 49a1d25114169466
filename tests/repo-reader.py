#!/usr/bin/python3
"""Reassemble the files of a backup from an unencrypted vsbackup repository.

An independent reader, written from doc/FORMAT alone, to prove that document
is enough to restore without vsbackup:

    repo-reader.py REPOSITORY BACKUP_ID OUTDIR

REPOSITORY is the folder "repository" (backup_dir/repository, or a copy of
the S3 prefix). Each file is checked chunk by chunk and as a whole.
"""
import ctypes
import ctypes.util
import hashlib
import json
import os
import struct
import sys

_zstd = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
_zstd.ZSTD_getFrameContentSize.restype = ctypes.c_ulonglong
_zstd.ZSTD_getFrameContentSize.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
_zstd.ZSTD_decompress.restype = ctypes.c_size_t
_zstd.ZSTD_decompress.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                  ctypes.c_size_t]
_zstd.ZSTD_isError.argtypes = [ctypes.c_size_t]


def unzstd(frame):
    size = _zstd.ZSTD_getFrameContentSize(frame, len(frame))
    if size >= 2 ** 63:
        raise ValueError("not a zstd frame with a content size")
    out = ctypes.create_string_buffer(size)
    got = _zstd.ZSTD_decompress(out, size, frame, len(frame))
    if _zstd.ZSTD_isError(got) or got != size:
        raise ValueError("zstd frame does not decompress")
    return out.raw[:size]


def envelope(data, kind):
    if data[:4] != kind:
        raise ValueError("not an object of kind %r" % kind)
    flags = data[4]
    if flags & 2:
        raise ValueError("encrypted: this reader handles plain repositories")
    body = data[5:]
    return unzstd(body) if flags & 1 else body


def blob(data):
    if data[0] == 0:
        return data[1:]
    if data[0] == 1:
        return unzstd(data[1:])
    raise ValueError("unknown blob type %d" % data[0])


def read(path):
    with open(path, "rb") as f:
        return f.read()


def load_index(repo):
    where = {}
    for name in sorted(os.listdir(os.path.join(repo, "index"))):
        body = envelope(read(os.path.join(repo, "index", name)), b"VSIX")
        if body[0] != 1:
            raise ValueError("index %s: unknown version" % name)
        (npacks,) = struct.unpack_from("<I", body, 4)
        pos, packs = 8, []
        for _ in range(npacks):
            packs.append(body[pos:pos + 32].hex())
            pos += 41
        (n,) = struct.unpack_from("<I", body, pos)
        pos += 4
        for _ in range(n):
            cid = body[pos:pos + 32]
            pack, off, stored, raw = struct.unpack_from("<IIII", body, pos + 32)
            where.setdefault(cid, (packs[pack], off, stored, raw))
            pos += 48
    return where


def chunk(repo, where, cid):
    pack, off, stored, raw = where[cid]
    with open(os.path.join(repo, "packs", pack[:2], pack), "rb") as f:
        f.seek(off)
        data = blob(f.read(stored))
    if len(data) != raw or hashlib.sha256(data).digest() != cid:
        raise ValueError("chunk %s does not match its id" % cid.hex())
    return data


def expand(repo, where, recipe, count):
    ids = [bytes.fromhex(h) for h in recipe["ids"]]
    for _ in range(recipe["levels"] - 1):
        nxt = []
        for cid in ids:
            data = chunk(repo, where, cid)
            nxt.extend(data[i:i + 32] for i in range(0, len(data), 32))
        ids = nxt
    if len(ids) != count:
        raise ValueError("the recipe names %d chunks, the manifest %d" % (len(ids), count))
    return ids


def main():
    repo, backup_id, out = sys.argv[1:4]
    config = json.loads(read(os.path.join(repo, "config")))
    if config["format"] != 2 or config["encryption"] != "none":
        sys.exit("repo-reader: only unencrypted repositories of format 2")
    where = load_index(repo)
    m = json.loads(envelope(read(os.path.join(repo, "manifests", backup_id)), b"VSMF"))
    os.makedirs(out, exist_ok=True)
    # A cluster backup holds one RDB per master, in "redis"."shards".
    files = m["redis"].get("shards", [m["redis"]]) + [m["indices"]["content"],
                                                      m["indices"]["user"]]
    for f in files:
        if f.get("file") is None:
            continue
        h = hashlib.sha256()
        size = 0
        with open(os.path.join(out, f["file"]), "wb") as dst:
            for cid in expand(repo, where, f["recipe"], f["chunks"]):
                data = chunk(repo, where, cid)
                h.update(data)
                size += len(data)
                dst.write(data)
        if size != f["size"] or h.hexdigest() != f["sha256"]:
            sys.exit("repo-reader: %s does not match the manifest" % f["file"])
        print("%s %d %s" % (f["file"], size, h.hexdigest()))


if __name__ == "__main__":
    main()
