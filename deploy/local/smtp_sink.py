#!/usr/bin/env python3
"""A local SMTP server (aiosmtpd, Debian's python3-aiosmtpd) for the mesh and the tests.

Every message it accepts is parsed with Python's email package and recorded as one
JSON line in --out:
  {"mail_from": ..., "rcpt_tos": [...], "message_id": ..., "subject": <decoded>,
   "content_type": ..., "body": <decoded text>, "received_at": "<ISO-8601 UTC>"}
Listens on 127.0.0.1 only.
"""
import argparse
import datetime
import email
import email.policy
import json
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, out_path):
        os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
        self.out = open(out_path, "a", encoding="utf-8")
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        entry = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "message_id": str(msg.get("Message-ID", "")),
            "subject": str(msg.get("Subject", "")),
            "content_type": msg.get_content_type(),
            "body": body.get_content() if body is not None else "",
            "received_at": datetime.datetime.now(datetime.timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        with self.lock:
            self.out.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self.out.flush()
        return "250 Message accepted for delivery"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True, help="JSON-lines file to append to")
    args = ap.parse_args()
    controller = Controller(Recorder(args.out), hostname="127.0.0.1", port=args.port,
                            decode_data=False)
    controller.start()
    print(f"smtp sink on 127.0.0.1:{args.port}, recording to {args.out}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
