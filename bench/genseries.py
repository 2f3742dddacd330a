#!/usr/bin/env python3
"""genseries: writes N heap profiles (profile.proto, gzipped) of one service over time, for the
series benchmark: S samples over F functions, one snapshot a minute; a few allocation sites leak
steadily, a few fill once, the rest move at random. Only the samples that change are encoded
again for each snapshot, so 1000 snapshots take seconds.

  genseries.py --snapshots 1000 --samples 5000 --functions 500 -o DIR
"""
import argparse
import gzip
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "http"))
import mkprof  # noqa: E402  (the protobuf wire encoder the tests use)
from mkprof import bfield, vfield  # noqa: E402


def packed(num, vals):
    return bfield(num, mkprof.packed(vals))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--snapshots', type=int, default=1000)
    ap.add_argument('--samples', type=int, default=5000)
    ap.add_argument('--functions', type=int, default=500)
    ap.add_argument('-o', required=True)
    a = ap.parse_args()
    rnd = random.Random(13)
    os.makedirs(a.o, exist_ok=True)
    strings = ['', 'alloc_objects', 'count', 'alloc_space', 'bytes', 'inuse_objects', 'inuse_space',
               'space', 'main.go']
    fn_base = len(strings)
    strings += ['main.fn%04d' % i for i in range(a.functions)]
    head = b''
    for t, u in ((1, 2), (3, 4), (5, 2), (6, 4)):
        head += bfield(1, vfield(1, t) + vfield(2, u))
    rest = b''
    for i in range(a.functions):
        rest += bfield(5, vfield(1, i + 1) + vfield(2, fn_base + i) + vfield(3, fn_base + i) + vfield(4, 8))
        rest += bfield(4, vfield(1, i + 1) + vfield(3, 0x1000 + i * 16) + bfield(4, vfield(1, i + 1) + vfield(2, 10 + i)))
    rest += bfield(11, vfield(1, 7) + vfield(2, 4)) + vfield(12, 524288)
    rest += b''.join(bfield(6, s.encode()) for s in strings)
    stacks = [[rnd.randrange(a.functions) + 1 for _ in range(rnd.randint(3, 8))] for _ in range(a.samples)]
    inuse = [rnd.randrange(1, 1 << 20) for _ in range(a.samples)]
    leaks = set(range(10))            # grow every snapshot
    warm = set(range(10, 20))         # grow once, at a tenth of the run

    def enc(k):
        v = inuse[k]
        return bfield(2, packed(1, stacks[k]) + packed(2, [v // 512 + 1, v * 4, v // 512 + 1, v]))

    cached = [enc(k) for k in range(a.samples)]
    t0 = 1_700_000_000_000_000_000
    for n in range(a.snapshots):
        changed = set(rnd.randrange(20, a.samples) for _ in range(100)) | leaks
        if n == a.snapshots // 10:
            changed |= warm
        for k in changed:
            if k in leaks:
                inuse[k] += 65536
            elif k in warm:
                inuse[k] += 8 << 20
            else:
                inuse[k] = max(1, inuse[k] + rnd.randrange(-65536, 65536))
            cached[k] = enc(k)
        body = head + b''.join(cached) + rest + vfield(9, t0 + n * 60_000_000_000)
        with open(os.path.join(a.o, 'heap-%04d.pb.gz' % n), 'wb') as f:
            f.write(gzip.compress(body, 1))


if __name__ == '__main__':
    main()
