#!/usr/bin/env python3
"""distinct: N requests of PATH with a distinct random f= each (none can be answered from the
view cache), over a few keep-alive connections to 127.0.0.1:PORT. Prints the count of answers by
status and the requests per second.

  distinct.py PORT PATH N [CONNECTIONS]
"""
import collections
import http.client
import random
import sys
import threading
import time


def main():
    port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    k = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    counts = collections.Counter()
    lock = threading.Lock()

    def worker(w):
        rnd = random.Random(w)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(w, n, k):
            f = "%016x_%d" % (rnd.getrandbits(64), i)
            try:
                c.request("GET", "%s?f=%s" % (path, f))
                r = c.getresponse()
                r.read()
                st = r.status
            except OSError:
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                st = 0
            with lock:
                counts[st] += 1

    start = time.time()
    ts = [threading.Thread(target=worker, args=(w,)) for w in range(k)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    took = time.time() - start
    print(" ".join("%s:%d" % kv for kv in sorted(counts.items())), "%.0f/s" % (n / took))


if __name__ == "__main__":
    main()
