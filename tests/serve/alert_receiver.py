#!/usr/bin/env python3
"""Receives alerts for the tests: each POST's body, with its X-Signature
header and whether it verifies against SECRET, is appended to OUTPUT as one
JSON line; the answer is 200.

    alert_receiver.py PORT OUTPUT SECRET
"""
import hashlib
import hmac
import http.server
import json
import sys

port, output, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        signature = self.headers.get("X-Signature", "")
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        with open(output, "a") as out:
            out.write(json.dumps({"verified": hmac.compare_digest(signature, expected),
                                  "alert": json.loads(body)}) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
