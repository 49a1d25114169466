#!/usr/bin/python3
"""Redis Cluster for the tests, in RESP over plain sockets (no redis module).

As a module: key_slot(), Resp (one server, TCP "host:port" or a unix socket
path) and Cluster (commands routed to the master of their key's slot).

As a program:
    cluster.py fill SEED NVEC NUSER     documents under chimera-vectors: and
                                        chimera-users:, and other types, keys
                                        with TTLs and with hash tags
    cluster.py dump ADDR...             every key of db 0 of these servers,
                                        sorted: "KEY-HEX TTL TYPE DIGEST"
                                        (TTL the absolute expire time in
                                        ms, -1; DIGEST the value's DEBUG
                                        DIGEST-VALUE: a DUMP of a hash table
                                        depends on its insertion order, the
                                        digest only on its contents)
    cluster.py masters SEED             the masters' ports, in slot order
    cluster.py count SEED PREFIX        keys under PREFIX in the cluster
"""
import socket
import sys


def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xffff
    return crc


def key_slot(key):
    if isinstance(key, str):
        key = key.encode()
    s = key.find(b'{')
    if s >= 0:
        e = key.find(b'}', s + 1)
        if e > s + 1:
            key = key[s + 1:e]
    return crc16(key) & 16383


class RespError(Exception):
    pass


class Resp:
    def __init__(self, addr, timeout=30):
        if addr.startswith('/'):
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.connect(addr)
        else:
            host, port = addr.rsplit(':', 1)
            self.s = socket.create_connection((host, int(port)))
        self.s.settimeout(timeout)
        self.f = self.s.makefile('rb')

    def send(self, *args):
        out = [b'*%d\r\n' % len(args)]
        for a in args:
            if isinstance(a, int):
                a = str(a)
            if isinstance(a, str):
                a = a.encode()
            out.append(b'$%d\r\n%s\r\n' % (len(a), a))
        self.s.sendall(b''.join(out))

    def read(self):
        line = self.f.readline()
        if not line:
            raise EOFError('the server closed the connection')
        t, rest = line[:1], line[1:-2]
        if t == b'+':
            return rest
        if t == b'-':
            return RespError(rest.decode())
        if t == b':':
            return int(rest)
        if t == b'$':
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if t == b'*':
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ValueError(line)

    def command(self, *args):
        self.send(*args)
        r = self.read()
        if isinstance(r, RespError):
            raise r
        return r

    def pipeline(self, cmds):
        for c in cmds:
            self.send(*c)
        return [self.read() for _ in cmds]


class Cluster:
    def __init__(self, seed):
        self.seed = seed
        self.conns = {}
        self.refresh()

    def conn(self, addr):
        if addr not in self.conns:
            self.conns[addr] = Resp(addr)
        return self.conns[addr]

    def refresh(self):
        self.slots = [None] * 16384
        self.masters = []
        for r in self.conn(self.seed).command('CLUSTER', 'SLOTS'):
            addr = '%s:%d' % (r[2][0].decode(), r[2][1])
            for s in range(r[0], r[1] + 1):
                self.slots[s] = addr
            self.masters.append((r[0], addr))
        self.masters = sorted(set(a for _, a in sorted(self.masters)),
                              key=lambda a: min(s for s in range(16384) if self.slots[s] == a))

    def command(self, *args):
        for _ in range(5):
            addr = self.slots[key_slot(args[1])]
            r = self.conn(addr).pipeline([args])[0]
            if isinstance(r, RespError) and str(r).startswith(('MOVED', 'TRYAGAIN')):
                self.refresh()
                continue
            if isinstance(r, RespError):
                raise r
            return r
        raise RuntimeError('no master took %r' % (args[:2],))

    def run_many(self, cmds):
        """Pipelined per master; each command's key is its second word."""
        by = {}
        for c in cmds:
            by.setdefault(self.slots[key_slot(c[1])], []).append(c)
        for addr, cs in by.items():
            for i in range(0, len(cs), 500):
                for r in self.conn(addr).pipeline(cs[i:i + 500]):
                    if isinstance(r, RespError):
                        raise r


def fill(seed, nvec, nuser):
    cl = Cluster(seed)
    cmds = []
    for i in range(nvec):
        cmds.append(('SET', 'chimera-vectors:%d' % i,
                     '{"id":"doc-%d","text":"document %d","embedding":[%s]}'
                     % (i, i, ','.join('0.%d' % ((i + k) % 10) for k in range(8)))))
    for i in range(nuser):
        cmds.append(('SET', 'chimera-users:%d' % i, '{"id":"user-%d","name":"u%d"}' % (i, i)))
    # Other types, keys with TTLs, keys sharing a slot through a hash tag.
    for i in range(20):
        cmds.append(('HSET', 'other:{tag%d}:h' % (i % 4), 'f%d' % i, 'v%d' % i))
        cmds.append(('RPUSH', 'other:{tag%d}:l' % (i % 4), 'e%d' % i))
        cmds.append(('SADD', 'other:s:%d' % i, 'a', 'b', str(i)))
        cmds.append(('ZADD', 'other:z:%d' % i, str(i), 'm%d' % i))
        cmds.append(('XADD', 'other:x:%d' % i, '*', 'n', str(i)))
    for i in range(0, nvec, 10):
        cmds.append(('PEXPIREAT', 'chimera-vectors:%d' % i, str(4102444800000 + i)))
    for i in range(0, nuser, 7):
        cmds.append(('EXPIRE', 'chimera-users:%d' % i, '86400'))
    cl.run_many(cmds)


def dump(addrs):
    lines = []
    for addr in addrs:
        r = Resp(addr)
        cursor = b'0'
        keys = []
        while True:
            cursor, page = r.command('SCAN', cursor, 'COUNT', 1000)
            keys += page
            if cursor == b'0':
                break
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            ttls = r.pipeline([('PEXPIRETIME', k) for k in part])
            types = r.pipeline([('TYPE', k) for k in part])
            digests = r.command('DEBUG', 'DIGEST-VALUE', *part)
            for k, t, ty, d in zip(part, ttls, types, digests):
                lines.append('%s %d %s %s' % (k.hex(), t, ty.decode(), d.decode()))
    for line in sorted(lines):
        print(line)


def main():
    cmd = sys.argv[1]
    if cmd == 'fill':
        fill(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == 'dump':
        dump(sys.argv[2:])
    elif cmd == 'masters':
        for a in Cluster(sys.argv[2]).masters:
            print(a.rsplit(':', 1)[1])
    elif cmd == 'count':
        cl = Cluster(sys.argv[2])
        n = 0
        for a in cl.masters:
            r = Resp(a)
            cursor = b'0'
            while True:
                cursor, page = r.command('SCAN', cursor, 'MATCH', sys.argv[3] + '*', 'COUNT', 1000)
                n += len(page)
                if cursor == b'0':
                    break
        print(n)
    else:
        sys.exit('cluster.py: unknown command %s' % cmd)


if __name__ == '__main__':
    main()
