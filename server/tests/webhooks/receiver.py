"""A webhook receiver for the tests: verifies every delivery with the `standardwebhooks`
package from PyPI, logs it as one JSON line, and answers as its mode file says.

Usage: receiver.py PORT SECRET LOG MODE_FILE

Modes (the mode file's first word, read at each request):
  ok      200 with a ticket: {"ticket": {"id": "<n>", "url": "https://desk.example/t/<n>"}}
  fail    503
  reject  400
  redirect  302 to another address
  huge    200 with a body of ten megabytes
  hang    never answers (until the process ends)
  slow    answers 200 after five seconds
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

port, secret, log_path, mode_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
webhook = Webhook(secret)
lock = threading.Lock()
count = 0


def mode():
    try:
        with open(mode_path) as f:
            return (f.read().split() or ["ok"])[0]
    except OSError:
        return "ok"


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            webhook.verify(body, headers)
            verified, error = True, None
        except Exception as e:  # the verifier's own error, whatever its class
            verified, error = False, repr(e)
        now = mode()
        with lock:
            count += 1
            n = count
            with open(log_path, "a") as log:
                log.write(json.dumps({
                    "n": n,
                    "id": headers.get("webhook-id"),
                    "timestamp": headers.get("webhook-timestamp"),
                    "verified": verified,
                    "error": error,
                    "mode": now,
                    "body": json.loads(body) if verified else None,
                }) + "\n")
        if now == "hang":
            while True:
                time.sleep(60)
        if now == "slow":
            time.sleep(5)
        if now in ("fail", "reject"):
            self.send_response(503 if now == "fail" else 400)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        if now == "redirect":
            self.send_response(302)
            self.send_header("location", "http://127.0.0.1:9/elsewhere")
            self.send_header("content-length", "0")
            self.end_headers()
            return
        if now == "huge":
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(10 * 1024 * 1024))
            self.end_headers()
            try:
                chunk = b" " * 65536
                for _ in range(160):
                    self.wfile.write(chunk)
            except OSError:
                pass  # the sender stopped reading, as it should
            return
        answer = json.dumps({"ticket": {"id": str(1000 + n), "url": f"https://desk.example/t/{1000 + n}"}}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
server.daemon_threads = True
print("listening", flush=True)
server.serve_forever()
