#!/usr/bin/env python3
"""A stand-in for a WeCom group-robot webhook, for the local mesh and the tests.

Every POST is recorded as one JSON line in --out:
  {"path": ..., "content_type": ..., "body": <parsed JSON, or the raw text>,
   "status": <what we answered>, "received_at": "<ISO-8601 UTC>"}
and answered 200 {"errcode":0,"errmsg":"ok"}, unless the path contains "fail":
then 500 (so tests can exercise retries). GET /received answers the recorded
lines as a JSON array. Listens on 127.0.0.1 only. Stdlib only.

With --dingtalk-secret, POSTs to /robot/send are checked as a DingTalk robot checks
them (加签): the query's timestamp (ms) within an hour of now and its sign equal to
base64(HMAC-SHA256(secret, "<timestamp>\n<secret>")); otherwise the answer is
DingTalk's 200 {"errcode":310000,"errmsg":"sign not match"}. The line records
"signature": "ok" or "refused".
"""
import base64
import hashlib
import hmac
import time
import urllib.parse
import argparse
import datetime
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OK_BODY = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
SIGN_BODY = json.dumps({"errcode": 310000, "errmsg": "sign not match"}).encode()


def dingtalk_signed(path, secret):
    """Whether a robot URL's timestamp and sign are what DingTalk accepts."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    stamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
    if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > 3600 * 1000:
        return False
    mac = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(mac).decode(), sign)
FAIL_BODY = json.dumps({"errcode": -1, "errmsg": "injected failure"}).encode()


class Sink:
    def __init__(self, out_path):
        self.out_path = out_path
        self.lock = threading.Lock()
        d = os.path.dirname(os.path.abspath(out_path))
        os.makedirs(d, exist_ok=True)
        self.out = open(out_path, "a", encoding="utf-8")

    def record(self, entry):
        line = json.dumps(entry, ensure_ascii=False)
        with self.lock:
            self.out.write(line + "\n")
            self.out.flush()

    def received(self):
        with self.lock:
            with open(self.out_path, encoding="utf-8") as f:
                return [json.loads(l) for l in f if l.strip()]


class Handler(BaseHTTPRequestHandler):
    server_version = "mot-webhook-sink/1"
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: without this, a kept-alive
    # connection waits for the client's delayed ACK (tens of ms) before the body.
    disable_nagle_algorithm = True

    def _send(self, status, body, ctype="application/json; charset=utf-8"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        text = raw.decode("utf-8", errors="replace")
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = text
        status = 500 if "fail" in self.path else 200
        reply = OK_BODY if status == 200 else FAIL_BODY
        checked = {}
        secret = self.server.dingtalk_secret
        if secret and urllib.parse.urlsplit(self.path).path == "/robot/send":
            ok = dingtalk_signed(self.path, secret)
            checked = {"signature": "ok" if ok else "refused"}
            if not ok:
                reply = SIGN_BODY
        self.server.sink.record({**checked,
            "path": self.path,
            "content_type": self.headers.get("Content-Type"),
            "body": body,
            "status": status,
            "received_at": datetime.datetime.now(datetime.timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        })
        self._send(status, reply)

    def do_GET(self):
        if self.path.split("?", 1)[0] == "/received":
            body = json.dumps(self.server.sink.received(), ensure_ascii=False)
            self._send(200, body.encode("utf-8"))
        else:
            self._send(404, b'{"errcode":404,"errmsg":"not found"}')

    def log_message(self, fmt, *args):
        pass  # every request is in --out already; a line each on stderr only costs time

    def log_error(self, fmt, *args):
        super().log_message(fmt, *args)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True, help="JSON-lines file to append to")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--dingtalk-secret", default=os.environ.get("MOT_SINK_DINGTALK_SECRET", ""),
                    help="check /robot/send as a signed DingTalk robot (or MOT_SINK_DINGTALK_SECRET)")
    args = ap.parse_args()
    # One thread per kept-alive connection: hand the interpreter lock over within a
    # millisecond (not 5), so a request does not wait behind the others' time slices.
    sys.setswitchinterval(0.001)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.sink = Sink(args.out)
    server.dingtalk_secret = args.dingtalk_secret
    print(f"webhook sink on http://{args.host}:{args.port}, recording to {args.out}",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    import signal
    import sys
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    main()
