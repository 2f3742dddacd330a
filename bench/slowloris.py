#!/usr/bin/env python3
"""slowloris: holds N connections to a pprofweb on 127.0.0.1 that send their request headers a
line at a time, slowly, as a slow-client attack does; for the load bench and the hostile tests.

  slowloris.py PORT N SECONDS [READY_FILE]

Opens N connections, sends "GET / HTTP/1.1" and then one header line on each every 2 s, never
ending the headers. Writes the number of connections it holds to READY_FILE once all are open
(a connection the server closes is reopened), and exits after SECONDS.
"""
import resource
import socket
import sys
import time


def open_one(port):
    s = socket.socket()
    s.setblocking(True)
    s.settimeout(2)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /ui/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    s.setblocking(False)
    return s


def main():
    port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    ready = sys.argv[4] if len(sys.argv) > 4 else None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    conns = []
    for _ in range(n):
        try:
            conns.append(open_one(port))
        except OSError:
            pass
    if ready:
        with open(ready, "w") as f:
            f.write("%d\n" % len(conns))
    end = time.time() + secs
    k = 0
    while time.time() < end:
        time.sleep(2)
        k += 1
        for i, s in enumerate(conns):
            try:
                s.send(b"X-Slow-%d: %d\r\n" % (k, k))
            except OSError:
                s.close()
                try:
                    conns[i] = open_one(port)
                except OSError:
                    pass
    for s in conns:
        s.close()


if __name__ == "__main__":
    main()
