#!/usr/bin/env python3
"""A forwarding HTTP proxy for tests, on 127.0.0.1.

CONNECT HOST:PORT opens a tunnel (HTTPS through the proxy: the TLS session stays end to end);
GET/HEAD with an absolute URL is forwarded to its server. Each request line is appended to the
log file, so a test can tell which downloads went through the proxy. With --user U:P, requests
without that Proxy-Authorization get 407. Prints the port it listens on, then serves until killed.

Usage: http-proxy.py LOG [--user U:P]
"""
import base64
import socket
import sys
import threading
from urllib.parse import urlsplit


def pipe(source, target):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def handle(client, log, credentials):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            client.close()
            return
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:] if ": " in line)}
    with open(log, "a") as out:
        out.write(lines[0] + "\n")
    if credentials and headers.get("proxy-authorization") != "Basic " + credentials:
        client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        client.close()
        return
    try:
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            url = urlsplit(target)
            upstream = socket.create_connection((url.hostname, url.port or 80))
            path = (url.path or "/") + ("?" + url.query if url.query else "")
            kept = [line for line in lines[1:] if not line.lower().startswith("proxy-")]
            upstream.sendall(("\r\n".join([f"{method} {path} {version}"] + kept) + "\r\n\r\n").encode("latin-1"))
        if rest:
            upstream.sendall(rest)
    except OSError:
        client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        client.close()
        return
    threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
    pipe(client, upstream)


def main():
    log = sys.argv[1]
    credentials = None
    if len(sys.argv) > 3 and sys.argv[2] == "--user":
        credentials = base64.b64encode(sys.argv[3].encode()).decode()
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    print(server.getsockname()[1], flush=True)
    while True:
        client, _ = server.accept()
        threading.Thread(target=handle, args=(client, log, credentials), daemon=True).start()


if __name__ == "__main__":
    main()
