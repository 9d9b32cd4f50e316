"""A raw live-socket client, as any user could write one: send one HELLO, print the
answer's frame type (hex) and payload.

Usage: hello_client.py SOCKET MODE [MARKER-TEXT]
"""
import json
import socket
import struct
import sys

hello = {"v": 1, "mode": sys.argv[2]}
if len(sys.argv) > 3:
    hello["text"] = sys.argv[3]
payload = json.dumps(hello).encode()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(struct.pack(">I", len(payload) + 1) + b"\x01" + payload)
head = b""
while len(head) < 5:
    more = s.recv(5 - len(head))
    if not more:
        sys.exit("closed")
    head += more
(n,) = struct.unpack(">I", head[:4])
body = b""
while len(body) < n - 1:
    body += s.recv(n - 1 - len(body))
print(f"{head[4]:#04x} {body.decode(errors='replace')}")
