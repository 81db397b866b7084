"""A Lambda Runtime API double in Python, for the tests that run a packaged bootstrap
from Python (tests/fakes/runtime_api_server.h is the C++ one). It follows AWS's
documented protocol, version 2018-06-01:

  GET  /2018-06-01/runtime/invocation/next       blocks until an event is queued, then 200
       with the payload and Lambda-Runtime-Aws-Request-Id, -Deadline-Ms,
       -Invoked-Function-Arn, -Trace-Id;
  POST /2018-06-01/runtime/invocation/ID/response|error   202; recorded in `answers`.

Anything else, or a second answer for an id, is recorded in `violations`.

    api = RuntimeApi(); threading.Thread(target=api.serve_forever, daemon=True).start()
    rid = api.enqueue(payload); api.wait(rid, timeout) -> ("response"|"error", body) or None
"""
import http.server
import queue
import threading
import time


class RuntimeApi(http.server.ThreadingHTTPServer):
    """GET /2018-06-01/runtime/invocation/next hands out queued events;
    POST .../invocation/ID/response|error records the answer."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.events = queue.Queue()
        self.answers = {}
        self.violations = []
        self.lock = threading.Lock()
        self.count = 0

    def wait(self, rid, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if rid in self.answers:
                    return self.answers[rid]
            time.sleep(0.02)
        return None

    def enqueue(self, payload):
        with self.lock:
            self.count += 1
            rid = f"req-{self.count}"
        self.events.put((rid, payload))
        return rid


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = body.encode()
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path != "/2018-06-01/runtime/invocation/next":
            self.server.violations.append(("GET", self.path))
            return self.reply(404, "{}")
        rid, payload = self.server.events.get()
        deadline = str(int(time.time() * 1000) + 60_000)
        self.reply(200, payload, [
            ("Lambda-Runtime-Aws-Request-Id", rid), ("Lambda-Runtime-Deadline-Ms", deadline),
            ("Lambda-Runtime-Invoked-Function-Arn",
             "arn:aws:lambda:us-east-1:123456789012:function:eventbarrier-arm64"),
            ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")])

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        parts = self.path.split("/")
        if len(parts) == 6 and parts[3] == "invocation" and parts[5] in ("response", "error"):
            with self.server.lock:
                if parts[4] in self.server.answers:
                    self.server.violations.append(("second answer", parts[4]))
                self.server.answers[parts[4]] = (parts[5], body)
            return self.reply(202, '{"status":"OK"}')
        self.server.violations.append(("POST", self.path, body))
        return self.reply(404, "{}")
