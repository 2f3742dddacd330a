#!/usr/bin/env python3
"""upload: hostile upload clients for the HTTP tests, on 127.0.0.1.

  upload.py multipart PORT FILE N     one multipart/form-data upload of N copies of FILE, each a
                                      file part of its own; prints the status and the answer
  upload.py abort PORT SIZE SENT SECS a raw upload that declares SIZE bytes, sends SENT of them,
                                      prints "sent", waits SECS and closes the connection
                                      without waiting for an answer
  upload.py refused PORT SIZE         a raw upload of SIZE bytes without a token, sent until
                                      the server answers; prints the answer's status
"""
import http.client
import select
import socket
import sys
import time


def multipart(port, path, n):
    data = open(path, "rb").read()
    b = b"pprofwebBoundary7MA4YWxk"
    parts = [b"--" + b + b'\r\nContent-Disposition: form-data; name="f"; filename="p%d.pb.gz"\r\n'
             b"Content-Type: application/octet-stream\r\n\r\n" % i + data + b"\r\n"
             for i in range(n)]
    body = b"".join(parts) + b"--" + b + b"--\r\n"
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    c.request("POST", "/api/upload", body,
              {"Content-Type": "multipart/form-data; boundary=" + b.decode()})
    r = c.getresponse()
    print(r.status, r.read().decode("utf-8", "replace")[:300])


def abort(port, size, sent, secs):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /api/upload?name=aborted.pb.gz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % size)
    chunk = b"\x1f\x8b" + b"\0" * (1 << 20)
    left = sent
    while left > 0:
        n = min(left, len(chunk))
        s.sendall(chunk[:n])
        left -= n
    print("sent", flush=True)
    time.sleep(secs)
    s.close()


def refused(port, size):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % size)
    chunk = b"\0" * (1 << 16)
    left = size
    try:
        while left > 0:
            if select.select([s], [], [], 0)[0]:
                break  # the server has answered
            s.sendall(chunk[:min(left, len(chunk))])
            left -= min(left, len(chunk))
    except OSError:
        pass  # the server closed the connection after answering
    s.settimeout(10)
    head = b""
    try:
        while b"\r\n" not in head:
            got = s.recv(4096)
            if not got:
                break
            head += got
    except OSError:
        pass
    print(head.split(b" ")[1].decode() if head.startswith(b"HTTP/") else "000")


def main():
    if sys.argv[1] == "multipart":
        multipart(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "abort":
        abort(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    elif sys.argv[1] == "refused":
        refused(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit("usage: upload.py multipart|abort ...")


if __name__ == "__main__":
    main()
