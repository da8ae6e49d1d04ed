"""TCP bulk transfer with a digest check, for the end-to-end test (run in namespaces).

`serve HOST PORT`: per connection read a line `get N` (send N bytes) or `put N` (receive N bytes,
answer with their SHA-256). `get|put HOST PORT N`: the client side; prints the SHA-256 of what was
received / what the server saw, and the digest it expected, then exits 0 only if they agree.
"""

from __future__ import annotations

import hashlib
import random
import socket
import sys
import threading

CHUNK = 1 << 16


def data(n: int) -> bytes:
    return random.Random(n).randbytes(n)


def handle(conn: socket.socket) -> None:
    with conn, conn.makefile("rb") as f:
        command, size = f.readline().split()
        n = int(size)
        if command == b"get":
            conn.sendall(data(n))
        else:
            digest = hashlib.sha256()
            left = n
            while left:
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    break
                digest.update(chunk)
                left -= len(chunk)
            conn.sendall(digest.hexdigest().encode() + b"\n")


def serve(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.create_server((host, port), family=family, dualstack_ipv6=family == socket.AF_INET6) as srv:
        print("listening", flush=True)
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=handle, args=(conn,), daemon=True).start()


def client(command: str, host: str, port: int, n: int) -> int:
    expected = hashlib.sha256(data(n)).hexdigest()
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(f"{command} {n}\n".encode())
        if command == "get":
            digest = hashlib.sha256()
            while chunk := sock.recv(CHUNK):
                digest.update(chunk)
            got = digest.hexdigest()
        else:
            sock.sendall(data(n))
            got = sock.makefile("rb").readline().decode().strip()
    print(got, expected)
    return 0 if got == expected else 1


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(client(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
