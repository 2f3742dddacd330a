#!/usr/bin/env python3
"""mkprof: writes small profile.proto files (gzipped) for the graph HTTP tests.

  mkprof.py hostile OUT   two call chains whose function names are HTML, XML entities, quotes,
                          control characters and invalid UTF-8 (the graph must show them as text)
  mkprof.py wide N OUT    N functions, each the leaf of its own sample under one root, so that
                          the untrimmed graph has N + 1 nodes
  mkprof.py longnames OUT 50 function names of 200 000 characters and one of 1 MB, each "a..ab"
                          (a backtracking regexp such as (a|aa)+$ tries every start of each)
  mkprof.py bomb K N OUT  N names of 1 MB (about 1 kB gzipped each): a small file that decodes
                          large; K makes the bytes distinct
  mkprof.py extremes OUT  samples whose values are near INT64_MAX and INT64_MIN (sums wrap)
  mkprof.py distinct I OUT  a small profile whose functions are named after I (main.pI_0 ...)
"""
import gzip
import sys


def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1  # a negative int64 as protobuf writes it
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wire, payload):
    return varint(num << 3 | wire) + payload


def vfield(num, v):
    return field(num, 0, varint(v))


def bfield(num, data):
    return field(num, 2, varint(len(data)) + data)


def packed(vals):
    return b"".join(varint(v) for v in vals)


def profile(names, stacks):
    """names: function names (bytes); stacks: [(leaf-first function indexes, value)]."""
    strings = [b"", b"samples", b"count", b"cpu", b"nanoseconds", b"main.go"] + names
    p = bytearray()
    p += bfield(1, vfield(1, 1) + vfield(2, 2))
    p += bfield(1, vfield(1, 3) + vfield(2, 4))
    for stack, value in stacks:
        values = list(value) if isinstance(value, tuple) else [1, value]
        p += bfield(2, bfield(1, packed([f + 1 for f in stack])) + bfield(2, packed(values)))
    for i in range(len(names)):
        p += bfield(4, vfield(1, i + 1) + vfield(3, 0x1000 + i) + bfield(4, vfield(1, i + 1) + vfield(2, 10 + i)))
        p += bfield(5, vfield(1, i + 1) + vfield(2, 6 + i) + vfield(3, 6 + i) + vfield(4, 5))
    for s in strings:
        p += bfield(6, s)
    return gzip.compress(bytes(p))


def main():
    if sys.argv[1] == "hostile":
        names = [
            b"main.main",
            b"<script>alert(1)</script>",
            b"a&b &amp; &nbsp; &#1; \"quoted\" 'single'",
            b"ctl\x01\x02\x1f end",
            b"bad\xff\xfeutf8 \xc3\x28",
            b"]]> <!-- x --> <?pi?>",
            b"operator<<(std::ostream&, T const&)",
        ]
        stacks = [([i, 0], 10 * i) for i in range(1, len(names))]
        out = sys.argv[2]
    elif sys.argv[1] == "longnames":
        names = [b"main.main"] + [b"a" * 200000 + b"b%d" % i for i in range(50)]
        names.append(b"a" * ((1 << 20) - 8) + b"b")
        stacks = [([i, 0], i) for i in range(1, len(names))]
        out = sys.argv[2]
    elif sys.argv[1] == "bomb":
        # N names of 1 MB that gzip to about 1 kB each: small parts that decode large
        k, n = int(sys.argv[2]), int(sys.argv[3])
        names = [b"main.main"] + [b"x%d_%d" % (k, i) + b"a" * ((1 << 20) - 16) for i in range(n)]
        stacks = [([i, 0], i) for i in range(1, len(names))]
        out = sys.argv[4]
    elif sys.argv[1] == "extremes":
        # values near the int64 limits, so that flat and cum sums wrap around as Go's do
        big, small = (1 << 63) - 1, -(1 << 63)
        names = [b"main.main", b"main.hot", b"main.cold", b"main.both", b"main.leaf"]
        stacks = [([1, 0], (big, big - 1)), ([1, 0], (big // 2 + 3, big)),
                  ([2, 0], (small + 1, small)), ([2, 0], (small // 2, -7)),
                  ([3, 1, 0], (big, small + 5)), ([4, 3, 2, 0], (big - 10, big // 3)),
                  ([4, 2, 0], (5, small))]
        out = sys.argv[2]
    elif sys.argv[1] == "distinct":
        k = int(sys.argv[2])
        names = [b"main.p%d_root" % k] + [b"main.p%d_%d" % (k, i) for i in range(3)]
        stacks = [([i + 1, 0], 1 + i + k) for i in range(3)]
        out = sys.argv[3]
    else:
        n = int(sys.argv[2])
        names = [b"main.root"] + [b"main.f%d" % i for i in range(n)]
        stacks = [([i + 1, 0], 1) for i in range(n)]
        out = sys.argv[3]
    with open(out, "wb") as f:
        f.write(profile(names, stacks))


if __name__ == "__main__":
    main()
