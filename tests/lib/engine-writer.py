#!/usr/bin/python3
"""A service writer that follows vsbackup's coordination protocol.

    engine-writer.py SOCKET CONTENT_INDEX USER_INDEX LOCK_FILE STOP_FILE STATS_FILE
        [--interval MS] [--slow MS] [--no-lock] [--cluster]

Until STOP_FILE exists it adds documents, alternating between the content
and the user side. For each one it takes a shared flock on LOCK_FILE, stores
the document in Redis (a JSON string under chimera-vectors: or
chimera-users:), adds its vector to the index in memory, writes the index to
a temporary file and renames it over the live one, then unlocks. So while
vsbackup holds the exclusive lock, Redis and the index files agree.

At the end it writes STATS_FILE (JSON): documents written, and the longest
time one document took (lock wait + SET + index replacement), which is how
long vsbackup held the writer up at most.

--interval MS sleeps between documents; --slow MS sleeps between storing the
document and replacing the index (a large index takes that long to write),
which is the window the lock exists for; --no-lock ignores the protocol.
--cluster: SOCKET is a node of a Redis Cluster ("host:port"), and each
document goes to the master of its key's slot (tests/lib/cluster.py).

Redis is spoken to in RESP over the unix socket directly (no redis module
is needed).
"""
import fcntl
import json
import os
import socket
import sys
import time

import faiss
import numpy as np


class Resp:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b''

    def _line(self):
        while b'\r\n' not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError('Redis closed the connection')
            self.buf += chunk
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def command(self, *args):
        out = [b'*%d\r\n' % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            out.append(b'$%d\r\n%s\r\n' % (len(a), a))
        self.s.sendall(b''.join(out))
        line = self._line()
        if line[:1] == b'-':
            raise RuntimeError(line[1:].decode())
        if line[:1] == b'$':
            n = int(line[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.s.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        return line[1:]


def main():
    args = sys.argv[1:]
    interval = 0.0
    use_lock = True
    slow = 0.0
    if '--interval' in args:
        i = args.index('--interval')
        interval = float(args[i + 1]) / 1000.0
        del args[i:i + 2]
    if '--slow' in args:
        i = args.index('--slow')
        slow = float(args[i + 1]) / 1000.0
        del args[i:i + 2]
    if '--no-lock' in args:
        args.remove('--no-lock')
        use_lock = False
    cluster = '--cluster' in args
    if cluster:
        args.remove('--cluster')
    sock, content, user, lock_path, stop_path, stats_path = args

    if cluster:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import cluster as cl
        r = cl.Cluster(sock)
    else:
        r = Resp(sock)
    sides = []
    for prefix, path in (('chimera-vectors:', content), ('chimera-users:', user)):
        ix = faiss.read_index(path)
        ids = faiss.vector_to_array(ix.id_map)
        sides.append({'prefix': prefix, 'path': path, 'index': ix,
                      'next_id': int(ids.max()) + 1 if len(ids) else 1})
    dim = sides[0]['index'].d
    lockfd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    rng = np.random.default_rng(7)

    n = 0
    worst = 0.0
    worst_at = 0.0
    total = 0.0
    start = time.monotonic()
    while not os.path.exists(stop_path):
        side = sides[n % 2]
        fid = side['next_id']
        vec = rng.standard_normal((1, dim)).astype('float32')
        vec /= np.linalg.norm(vec)
        doc = json.dumps({'id': 'w%d' % fid, 'faiss_id': fid, 'title': 'written during a backup',
                          'embedding': [round(float(x), 6) for x in vec[0]]})
        t0 = time.monotonic()
        if use_lock:
            fcntl.flock(lockfd, fcntl.LOCK_SH)
        r.command('SET', '%sw%d' % (side['prefix'], fid), doc)
        side['index'].add_with_ids(vec, np.array([fid], dtype='int64'))
        tmp = side['path'] + '.writer-tmp'
        faiss.write_index(side['index'], tmp)
        if slow:
            time.sleep(slow)
        os.rename(tmp, side['path'])
        if use_lock:
            fcntl.flock(lockfd, fcntl.LOCK_UN)
        took = time.monotonic() - t0
        total += took
        if took > worst:
            worst, worst_at = took, t0 - start
        side['next_id'] = fid + 1
        n += 1
        if interval:
            time.sleep(interval)
    with open(stats_path + '.tmp', 'w') as f:
        json.dump({'documents': n, 'max_ms': round(worst * 1000, 1),
                   'max_at_s': round(worst_at, 2),
                   'mean_ms': round(total * 1000 / n, 2) if n else 0,
                   'seconds': round(time.monotonic() - start, 2)}, f)
    os.rename(stats_path + '.tmp', stats_path)


if __name__ == '__main__':
    main()
