#!/usr/bin/env python3
"""A stand-in for the HTTP providers notification talks to, for the local mesh and the tests:
WeCom/DingTalk group robots, an SMS gateway and an app push gateway.

Every POST is recorded as one JSON line in --out:
  {"path": ..., "content_type": ..., "body": <parsed JSON, or the raw text>,
   "status": <what we answered>, "received_at": "<ISO-8601 UTC>"}
and answered 200 {"errcode":0,"errmsg":"ok"}, unless the path contains "fail", or
the body contains "mot-fail-500" on a robot path (not /sms/ or /push/): then 500
(so tests can exercise retries and the next channel). GET /received answers the
recorded lines as a JSON array. Listens on 127.0.0.1 only. Stdlib only.

POST /sms/send is an SMS gateway: with --sms-secret it checks X-Sms-Access-Key
(--sms-key), X-Sms-Timestamp (ms, within 15 minutes of now) and X-Sms-Signature =
base64(HMAC-SHA256(secret, "POST\n<path>\n<timestamp>\n<hex SHA-256 of the body>")),
answering 403 {"code":"SignatureDoesNotMatch"} otherwise; a request_id seen before is
answered with its first biz_id and recorded "duplicate": true (sent once). Answers
{"code":"OK","biz_id":...}.

GET /cgi-bin/gettoken?corpid=&corpsecret= and POST /cgi-bin/message/send?access_token=
are WeCom's application-message API: with --wecom-corp-id/--wecom-secret a token is
given only for those (errcode 40013/40001 otherwise), and a message only with a token
given out (errcode 40014 otherwise); answers {"errcode":0,"msgid":...}.

POST /push/send is an app push gateway: with --push-token it wants
"Authorization: Bearer <token>" (401 otherwise); answers {"code":0,"message_id":...}.

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


def sms_signed(handler, raw, key, secret):
    """Whether an SMS request's key, timestamp and signature are what the gateway accepts."""
    stamp = handler.headers.get("X-Sms-Timestamp", "")
    if handler.headers.get("X-Sms-Access-Key") != key or not stamp.isdigit():
        return False
    if abs(time.time() * 1000 - int(stamp)) > 15 * 60 * 1000:
        return False
    path = urllib.parse.urlsplit(handler.path).path
    to_sign = f"POST\n{path}\n{stamp}\n{hashlib.sha256(raw).hexdigest()}"
    mac = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(mac).decode(),
                               handler.headers.get("X-Sms-Signature", ""))


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
        path = urllib.parse.urlsplit(self.path).path
        robot = not path.startswith(("/sms/", "/push/", "/cgi-bin/message/"))
        status = 500 if "fail" in self.path or (robot and "mot-fail-500" in text) else 200
        reply = OK_BODY if status == 200 else FAIL_BODY
        checked = {}
        secret = self.server.dingtalk_secret
        if secret and path == "/robot/send":
            ok = dingtalk_signed(self.path, secret)
            checked = {"signature": "ok" if ok else "refused"}
            if not ok:
                reply = SIGN_BODY
        elif path == "/sms/send" and status == 200:
            status, reply, checked = self.sms(raw, body)
        elif path == "/cgi-bin/message/send" and status == 200:
            token = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("access_token", [""])[0]
            if token not in self.server.wecom_tokens:
                reply = json.dumps({"errcode": 40014, "errmsg": "invalid access_token"}).encode()
                checked = {"token": "refused"}
            else:
                reply = json.dumps({"errcode": 0, "errmsg": "ok", "invaliduser": "",
                                    "msgid": f"msg-{time.time_ns()}"}).encode()
                checked = {"token": "ok"}
        elif path == "/push/send" and status == 200:
            token = self.server.push_token
            if token and self.headers.get("Authorization") != f"Bearer {token}":
                status, reply = 401, json.dumps({"code": 401, "message": "bad token"}).encode()
            else:
                reply = json.dumps({"code": 0, "message_id": f"push-{time.time_ns()}"}).encode()
        self.server.sink.record({**checked,
            "path": self.path,
            "content_type": self.headers.get("Content-Type"),
            "body": body,
            "status": status,
            "received_at": datetime.datetime.now(datetime.timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        })
        self._send(status, reply)

    def sms(self, raw, body):
        """The SMS gateway's answer: (status, body, fields for the record)."""
        if self.server.sms_secret:
            if not sms_signed(self, raw, self.server.sms_key, self.server.sms_secret):
                return 403, json.dumps({"code": "SignatureDoesNotMatch"}).encode(), {
                    "signature": "refused"}
        checked = {"signature": "ok"} if self.server.sms_secret else {}
        request_id = body.get("request_id", "") if isinstance(body, dict) else ""
        with self.server.sink.lock:
            biz = self.server.sms_seen.get(request_id)
            duplicate = biz is not None
            if not duplicate:
                biz = f"biz-{len(self.server.sms_seen) + 1}"
                self.server.sms_seen[request_id] = biz
        checked["duplicate"] = duplicate
        return 200, json.dumps({"code": "OK", "message": "OK", "biz_id": biz}).encode(), checked

    def do_GET(self):
        if self.path.split("?", 1)[0] == "/cgi-bin/gettoken":
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            corp, secret = query.get("corpid", [""])[0], query.get("corpsecret", [""])[0]
            if corp != self.server.wecom_corp_id:
                body = {"errcode": 40013, "errmsg": "invalid corpid"}
            elif secret != self.server.wecom_secret:
                body = {"errcode": 40001, "errmsg": "invalid credential"}
            else:
                token = base64.urlsafe_b64encode(os.urandom(24)).decode()
                with self.server.sink.lock:
                    self.server.wecom_tokens.add(token)
                body = {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
            self._send(200, json.dumps(body).encode())
        elif self.path.split("?", 1)[0] == "/received":
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
    ap.add_argument("--sms-key", default=os.environ.get("MOT_SINK_SMS_KEY", ""),
                    help="the SMS gateway's access key id (or MOT_SINK_SMS_KEY)")
    ap.add_argument("--sms-secret", default=os.environ.get("MOT_SINK_SMS_SECRET", ""),
                    help="check /sms/send signatures with this secret (or MOT_SINK_SMS_SECRET)")
    ap.add_argument("--wecom-corp-id", default=os.environ.get("MOT_SINK_WECOM_CORP_ID", ""),
                    help="the corp id /cgi-bin/gettoken wants (or MOT_SINK_WECOM_CORP_ID)")
    ap.add_argument("--wecom-secret", default=os.environ.get("MOT_SINK_WECOM_SECRET", ""),
                    help="the application secret /cgi-bin/gettoken wants (or MOT_SINK_WECOM_SECRET)")
    ap.add_argument("--push-token", default=os.environ.get("MOT_SINK_PUSH_TOKEN", ""),
                    help="the bearer token /push/send wants (or MOT_SINK_PUSH_TOKEN)")
    args = ap.parse_args()
    # One thread per kept-alive connection: hand the interpreter lock over within a
    # millisecond (not 5), so a request does not wait behind the others' time slices.
    sys.setswitchinterval(0.001)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.sink = Sink(args.out)
    server.dingtalk_secret = args.dingtalk_secret
    server.sms_key, server.sms_secret = args.sms_key, args.sms_secret
    server.sms_seen = {}
    server.push_token = args.push_token
    server.wecom_corp_id, server.wecom_secret = args.wecom_corp_id, args.wecom_secret
    server.wecom_tokens = set()
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
