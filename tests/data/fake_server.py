"""A fake live socket, as an attacker would run one: listen at PATH, take every
connection and everything it sends, until stdin closes; then print what it got.

Usage: fake_server.py PATH   (prints "ready" once listening, then "connections N bytes M")
"""
import os
import select
import socket
import sys

path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
os.chmod(path, 0o777)
srv.listen(64)
print("ready", flush=True)
conns, got, clients = 0, 0, []
while True:
    ready, _, _ = select.select([srv, sys.stdin] + clients, [], [])
    if sys.stdin in ready and not sys.stdin.buffer.read1(1):
        break
    for r in ready:
        if r is srv:
            c, _ = srv.accept()
            conns += 1
            # A fake server greets first, hoping the client takes it for a session.
            c.send(b"\x00\x00\x00\x02\x86!")
            clients.append(c)
        elif r is not sys.stdin:
            data = r.recv(65536)
            got += len(data)
            if not data:
                clients.remove(r)
print(f"connections {conns} bytes {got}", flush=True)
