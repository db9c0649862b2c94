#!/usr/bin/env python3
"""A recording HTTP(S) endpoint on loopback for the provider CLI tests.

Every request is appended to the log as one JSON line (method, path, lower-cased headers,
body). The answer is the first rule (from the rules file, read again for each request) whose method, path and body regular
expressions match; an unmatched request gets 599 and is logged with "unrouted": true.
Placeholders in answers: {base} (this server's URL, ending in /), {jwt} (an unsigned token),
{exp} (an expiry one hour ahead, epoch seconds). Listens on 127.0.0.1 only, on a port the
system chooses (written to --port-file), and exits by itself after --timeout seconds.
"""
import argparse
import base64
import http.server
import json
import os
import re
import ssl
import sys
import threading
import time


def b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def fake_jwt():
    now = int(time.time())
    claims = {
        "tid": "00000000-0000-0000-0000-00000000000a",
        "oid": "00000000-0000-0000-0000-00000000000b",
        "appid": "00000000-0000-0000-0000-00000000000c",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
    }
    return b64({"alg": "none", "typ": "JWT"}) + "." + b64(claims) + ".c2ln"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()
    lock = threading.Lock()
    scheme = "https" if args.cert else "http"

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def read_body(self):
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                out = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return out
                    out += self.rfile.read(size)
                    self.rfile.readline()
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def handle_any(self):
            body = self.read_body().decode("utf-8", "replace")
            base = "%s://127.0.0.1:%d/" % (scheme, self.server.server_port)
            entry = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
            }
            with open(args.rules) as f:  # read per request: the test may swap the rules
                rules = json.load(f)
            answer = None
            for rule in rules:
                if rule.get("method", self.command) != self.command:
                    continue
                if not re.search(rule.get("path", ""), self.path):
                    continue
                if not re.search(rule.get("body", ""), body, re.S):
                    continue
                answer = rule
                break
            if answer is None:
                entry["unrouted"] = True
                answer = {"status": 599, "text": "unrouted request\n"}
            with lock:
                with open(args.log, "a") as f:
                    f.write(json.dumps(entry) + "\n")
            if "json" in answer:
                text = json.dumps(answer["json"])
                ctype = "application/json"
            else:
                text = answer.get("text", "")
                ctype = answer.get("type", "text/plain")
            text = (
                text.replace("{base}", base)
                .replace("{jwt}", fake_jwt())
                .replace("{exp}", str(int(time.time()) + 3600))
            )
            data = text.encode()
            self.send_response(answer.get("status", 200))
            self.send_header("Content-Type", ctype)
            for k, v in answer.get("headers", {}).items():
                self.send_header(k, v.replace("{base}", base))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_port))
    os.replace(tmp, args.port_file)
    threading.Timer(args.timeout, lambda: os._exit(0)).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
