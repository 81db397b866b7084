#!/usr/bin/python3
"""A fault-injecting HTTP/1.1 proxy between S3 clients and a real S3 server.

Contract:
  - Forwards any request (GET/PUT/POST/DELETE/HEAD, bodies framed by
    Content-Length or chunked, keep-alive) byte for byte to one upstream
    server, over one upstream connection per client connection, so SigV4
    signatures (which cover the Host header the client sent) stay valid.
  - Answers a share of requests with a fault instead (see FAULT_KINDS).
    Which request gets which fault is a function of (seed, method, target,
    how many times that method+target has been seen): the same run of
    requests meets the same faults, whatever the thread interleaving.
  - Counts every fault kind; `stats()` returns a copy of the counters.
  - Faults can be switched off and on while running (`set_faults`).
  - An upstream that cannot be reached (the RGW restarted) resets the client
    connection: the client sees a transport error, as it would without us.

Used as a library by chaos_run.py (in-process, no IPC) and runnable alone:
  chaos_proxy.py --upstream 127.0.0.1:7480 [--port 0] [--seed 1] [--rate 0.1]
"""

import argparse
import random
import socket
import struct
import sys
import threading
import time

# What each fault does to one request:
#   slowdown    503 SlowDown with an S3 XML error body, not forwarded
#   internal    500 InternalError with an S3 XML error body, not forwarded
#   reset       the connection is reset (RST) before anything is forwarded
#   delay       forwarded after a delay shorter than the client's timeout
#   long_delay  forwarded after a delay longer than the client's timeout: the
#               client has given up (and retried) by the time the write lands
#   drop        forwarded, the upstream answers (the write happened), then the
#               connection is reset instead of answering: the answer is lost
FAULT_KINDS = ("slowdown", "internal", "reset", "delay", "long_delay", "drop")

# Relative weights of the kinds within the overall fault rate.
DEFAULT_WEIGHTS = {"slowdown": 3, "internal": 2, "reset": 2, "delay": 2, "long_delay": 0.3,
                   "drop": 3}

ERROR_BODIES = {
    "slowdown": (503, "Slow Down", "SlowDown", "Please reduce your request rate."),
    "internal": (500, "Internal Server Error", "InternalError",
                 "We encountered an internal error. Please try again."),
}

MAX_HEADER_BYTES = 64 * 1024


class ConnectionGone(Exception):
    """The peer closed or reset the connection mid-message."""


def _read_line(reader):
    line = reader.readline(MAX_HEADER_BYTES)
    if not line:
        raise ConnectionGone()
    return line


def _read_head(reader):
    """Start line and header lines (raw bytes) of one message; None on a clean EOF."""
    first = reader.readline(MAX_HEADER_BYTES)
    if not first:
        return None
    lines = [first]
    while True:
        line = _read_line(reader)
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            return lines


def _headers(lines):
    """Lower-cased header name -> value (last wins) of a head read by _read_head."""
    out = {}
    for line in lines[1:-1]:
        name, _, value = line.decode("latin-1").partition(":")
        out[name.strip().lower()] = value.strip()
    return out


def _read_exact(reader, n):
    data = reader.read(n)
    if len(data) != n:
        raise ConnectionGone()
    return data


def _read_body(reader, headers, until_close=False):
    """The body bytes exactly as framed on the wire (chunk sizes and trailers kept)."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts = []
        while True:
            size_line = _read_line(reader)
            parts.append(size_line)
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:  # trailers, up to the empty line
                    trailer = _read_line(reader)
                    parts.append(trailer)
                    if trailer in (b"\r\n", b"\n"):
                        return b"".join(parts)
            parts.append(_read_exact(reader, size + 2))  # data and its CRLF
    if "content-length" in headers:
        return _read_exact(reader, int(headers["content-length"]))
    if until_close:
        return reader.read()
    return b""


def _reset(sock):
    """Close with an RST, not a FIN: what a crashed or overloaded server looks like."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class FaultPlan:
    """Decides the fault (or None) for each request, reproducibly from the seed."""

    def __init__(self, seed, rate, weights=None):
        self.seed = seed
        self.rate = rate
        self.weights = dict(weights or DEFAULT_WEIGHTS)
        self.enabled = True
        self._seen = {}
        self._lock = threading.Lock()

    def decide(self, method, target):
        with self._lock:
            n = self._seen.get((method, target), 0)
            self._seen[(method, target)] = n + 1
            enabled = self.enabled
        if not enabled or self.rate <= 0:
            return None
        rng = random.Random(f"{self.seed}|{method}|{target}|{n}")
        if rng.random() >= self.rate:
            return None
        kinds = [k for k in FAULT_KINDS if self.weights.get(k, 0) > 0]
        return rng.choices(kinds, weights=[self.weights[k] for k in kinds])[0]


class ChaosProxy:
    """Listens on 127.0.0.1:`port` (0: any free port; see .port) and forwards to `upstream`."""

    def __init__(self, upstream, seed=1, rate=0.1, weights=None, delay_s=(0.2, 0.8),
                 long_delay_s=3.0, port=0):
        host, _, up_port = upstream.rpartition(":")
        self.upstream = (host or "127.0.0.1", int(up_port))
        self.plan = FaultPlan(seed, rate, weights)
        self.delay_s = delay_s
        self.long_delay_s = long_delay_s
        self._counts = {k: 0 for k in FAULT_KINDS}
        self._counts.update(requests=0, forwarded=0, upstream_errors=0)
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(256)
        self.port = self._listener.getsockname()[1]
        self._stopping = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stopping = True
        self._listener.close()

    def set_faults(self, enabled):
        with self.plan._lock:
            self.plan.enabled = enabled

    def stats(self):
        with self._lock:
            return dict(self._counts)

    def _count(self, what):
        with self._lock:
            self._counts[what] += 1

    def _accept_loop(self):
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        upstream = None
        try:
            reader = client.makefile("rb")
            up_reader = None
            while True:
                head = _read_head(reader)
                if head is None:
                    break
                headers = _headers(head)
                method, target = head[0].decode("latin-1").split(" ")[:2]
                if headers.get("expect", "").lower() == "100-continue":
                    # Answer the interim response ourselves and drop the header:
                    # the upstream then gets one plain request with its body.
                    client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                    head = [h for h in head if not h.lower().startswith(b"expect:")]
                body = _read_body(reader, headers)
                self._count("requests")
                close_after = headers.get("connection", "").lower() == "close"
                fault = self.plan.decide(method, target)
                if fault is not None:
                    self._count(fault)
                if fault == "reset":
                    _reset(client)
                    client = None
                    return
                if fault in ERROR_BODIES:
                    client.sendall(self._error_response(fault, target))
                    if close_after:
                        break
                    continue
                if fault == "delay":
                    time.sleep(random.Random(f"{self.plan.seed}|{target}").uniform(*self.delay_s))
                elif fault == "long_delay":
                    time.sleep(self.long_delay_s)

                try:
                    if upstream is None:
                        upstream = socket.create_connection(self.upstream, timeout=60)
                        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        up_reader = upstream.makefile("rb")
                    upstream.sendall(b"".join(head) + body)
                    resp_head = _read_head(up_reader)
                    if resp_head is None:
                        raise ConnectionGone()
                    resp_headers = _headers(resp_head)
                    status = int(resp_head[0].split(b" ")[1])
                    no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
                    delimited = ("content-length" in resp_headers or
                                 "chunked" in resp_headers.get("transfer-encoding", "").lower())
                    resp_body = b"" if no_body else _read_body(up_reader, resp_headers,
                                                               until_close=not delimited)
                except (OSError, ConnectionGone, ValueError, IndexError):
                    # Upstream down or gone mid-answer: the client sees a reset too.
                    self._count("upstream_errors")
                    _reset(client)
                    client = None
                    return
                self._count("forwarded")
                if fault == "drop":
                    _reset(client)  # the write happened; its answer is lost
                    client = None
                    return
                client.sendall(b"".join(resp_head) + resp_body)
                if close_after or (not no_body and not delimited) or \
                        resp_headers.get("connection", "").lower() == "close":
                    break
        except (OSError, ConnectionGone, ValueError):
            pass  # the client went away (e.g. gave up during a long delay)
        finally:
            if client is not None:
                client.close()
            if upstream is not None:
                upstream.close()

    def _error_response(self, fault, target):
        status, reason, code, message = ERROR_BODIES[fault]
        with self._lock:
            request_id = f"chaos-{self._counts['requests']}"
        resource = target.split("?")[0]
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                f"<Message>{message}</Message><Resource>{resource}</Resource>"
                f"<RequestId>{request_id}</RequestId></Error>").encode()
        return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\n"
                f"Content-Length: {len(body)}\r\nx-amz-request-id: {request_id}\r\n\r\n"
                ).encode() + body


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--upstream", required=True, help="host:port of the S3 server")
    parser.add_argument("--port", type=int, default=0, help="listen port (0: any free one)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.1, help="share of requests with a fault")
    parser.add_argument("--long-delay", type=float, default=3.0, help="seconds")
    args = parser.parse_args()
    proxy = ChaosProxy(args.upstream, seed=args.seed, rate=args.rate,
                       long_delay_s=args.long_delay, port=args.port).start()
    print(f"listening on 127.0.0.1:{proxy.port}", flush=True)
    try:
        while True:
            time.sleep(10)
            print(proxy.stats(), flush=True)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
