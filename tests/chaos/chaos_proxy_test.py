#!/usr/bin/python3
"""Tests of chaos_proxy.py against a recording upstream on loopback: byte-exact
forwarding (Content-Length and chunked bodies, chunked answers, keep-alive),
what each fault kind does to the client and to the upstream, and that a seed
fixes the fault plan."""

import os
import socket
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos_proxy  # noqa: E402


class RecordingUpstream:
    """An HTTP/1.1 server that records (connection number, method, path, body)
    of every request and answers 200 with "got <n> bytes" (chunked for /chunked)."""

    def __init__(self):
        self.requests = []
        self.connections = 0
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.address = f"127.0.0.1:{self._sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                number = self.connections
            threading.Thread(target=self._serve, args=(conn, number), daemon=True).start()

    def _serve(self, conn, number):
        reader = conn.makefile("rb")
        try:
            while True:
                head = chaos_proxy._read_head(reader)
                if head is None:
                    return
                headers = chaos_proxy._headers(head)
                method, path = head[0].decode().split(" ")[:2]
                raw = chaos_proxy._read_body(reader, headers)
                body = dechunk(raw) if "chunked" in headers.get("transfer-encoding", "") else raw
                with self._lock:
                    self.requests.append((number, method, path, body))
                text = f"got {len(body)} bytes".encode()
                if path == "/chunked":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                 b"4\r\ngot \r\n" + f"{len(text) - 4:x}\r\n".encode() + text[4:] +
                                 b"\r\n0\r\n\r\n")
                else:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(text) + text)
        except (OSError, chaos_proxy.ConnectionGone):
            pass
        finally:
            conn.close()

    def close(self):
        self._sock.close()


def dechunk(raw):
    out, rest = b"", raw
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return out
        out += rest[:size]
        rest = rest[size + 2:]


class Client:
    """One keep-alive connection that reads answers the way an HTTP client does."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.reader = self.sock.makefile("rb")

    def send(self, method, path, body=b"", chunked=False):
        if chunked:
            framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:3], body[3:]) if p)
            head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            self.sock.sendall(head.encode() + framed + b"0\r\n\r\n")
        else:
            head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
            self.sock.sendall(head.encode() + body)

    def answer(self):
        """(status, body) or None when the connection was closed or reset."""
        try:
            head = chaos_proxy._read_head(self.reader)
            if head is None:
                return None
            headers = chaos_proxy._headers(head)
            raw = chaos_proxy._read_body(self.reader, headers)
        except (OSError, chaos_proxy.ConnectionGone):
            return None
        body = dechunk(raw) if "chunked" in headers.get("transfer-encoding", "") else raw
        return int(head[0].split(b" ")[1]), body


def only(kind):
    return {k: (1 if k == kind else 0) for k in chaos_proxy.FAULT_KINDS}


class ChaosProxyTest(unittest.TestCase):
    def setUp(self):
        self.upstream = RecordingUpstream()

    def tearDown(self):
        self.upstream.close()

    def client(self, port):
        c = Client(port)
        self.addCleanup(c.sock.close)
        self.addCleanup(c.reader.close)
        return c

    def proxy(self, rate=0.0, kind=None, **kw):
        p = chaos_proxy.ChaosProxy(self.upstream.address, seed=3, rate=rate,
                                   weights=only(kind) if kind else None, **kw).start()
        self.addCleanup(p.stop)
        return p

    def test_forwards_both_body_framings_and_chunked_answers_on_one_connection(self):
        p = self.proxy()
        c = self.client(p.port)
        c.send("PUT", "/b/k1", b"hello world")
        self.assertEqual(c.answer(), (200, b"got 11 bytes"))
        c.send("PUT", "/b/k2", b"streamed body", chunked=True)
        self.assertEqual(c.answer(), (200, b"got 13 bytes"))
        c.send("GET", "/chunked")
        self.assertEqual(c.answer(), (200, b"got 0 bytes"))
        self.assertEqual([(m, path, b) for _, m, path, b in self.upstream.requests],
                         [("PUT", "/b/k1", b"hello world"), ("PUT", "/b/k2", b"streamed body"),
                          ("GET", "/chunked", b"")])
        self.assertEqual(self.upstream.connections, 1, "keep-alive on both sides")
        self.assertEqual(p.stats()["forwarded"], 3)

    def test_slowdown_answers_s3_xml_and_keeps_the_connection(self):
        p = self.proxy(rate=1.0, kind="slowdown")
        c = self.client(p.port)
        c.send("PUT", "/b/k", b"x")
        status, body = c.answer()
        self.assertEqual(status, 503)
        self.assertIn(b"<Code>SlowDown</Code>", body)
        self.assertIn(b"<Resource>/b/k</Resource>", body)
        p.set_faults(False)
        c.send("PUT", "/b/k", b"x")
        self.assertEqual(c.answer(), (200, b"got 1 bytes"))
        self.assertEqual(len(self.upstream.requests), 1, "the 503 was not forwarded")
        self.assertEqual(p.stats()["slowdown"], 1)

    def test_internal_error_is_a_500_with_its_code(self):
        p = self.proxy(rate=1.0, kind="internal")
        c = self.client(p.port)
        c.send("GET", "/b/k")
        status, body = c.answer()
        self.assertEqual(status, 500)
        self.assertIn(b"<Code>InternalError</Code>", body)
        self.assertEqual(self.upstream.requests, [])

    def test_reset_closes_without_forwarding(self):
        p = self.proxy(rate=1.0, kind="reset")
        c = self.client(p.port)
        c.send("PUT", "/b/k", b"x")
        self.assertIsNone(c.answer())
        time.sleep(0.1)
        self.assertEqual(self.upstream.requests, [])
        self.assertEqual(p.stats()["reset"], 1)

    def test_drop_lets_the_write_happen_and_loses_the_answer(self):
        p = self.proxy(rate=1.0, kind="drop")
        c = self.client(p.port)
        c.send("PUT", "/b/k", b"the write")
        self.assertIsNone(c.answer())
        self.assertEqual([(m, b) for _, m, _, b in self.upstream.requests], [("PUT", b"the write")])
        self.assertEqual(p.stats()["drop"], 1)

    def test_delays_forward_late(self):
        p = self.proxy(rate=1.0, kind="long_delay", long_delay_s=0.3)
        c = self.client(p.port)
        start = time.monotonic()
        c.send("GET", "/b/k")
        self.assertEqual(c.answer(), (200, b"got 0 bytes"))
        self.assertGreaterEqual(time.monotonic() - start, 0.3)

    def test_unreachable_upstream_resets_the_client(self):
        self.upstream.close()
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        port = dead.getsockname()[1]
        dead.close()  # nothing listens there now
        p = chaos_proxy.ChaosProxy(f"127.0.0.1:{port}", rate=0).start()
        self.addCleanup(p.stop)
        c = self.client(p.port)
        c.send("GET", "/b/k")
        self.assertIsNone(c.answer())
        self.assertEqual(p.stats()["upstream_errors"], 1)

    def test_a_seed_fixes_the_fault_plan(self):
        requests = [("PUT", f"/b/k{i % 7}") for i in range(500)]

        def plan(seed):
            fp = chaos_proxy.FaultPlan(seed, rate=0.3)
            return [fp.decide(m, t) for m, t in requests]

        self.assertEqual(plan(11), plan(11))
        self.assertNotEqual(plan(11), plan(12))
        faults = [f for f in plan(11) if f]
        self.assertTrue(100 < len(faults) < 200, len(faults))
        self.assertEqual(set(faults), set(chaos_proxy.FAULT_KINDS))


if __name__ == "__main__":
    unittest.main()
