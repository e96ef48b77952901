"""The fake intake itself: decoding, schema checks, limits, faults, refuse mode and the CLI."""

import gzip
import http.client
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

from fake_intake import FakeIntake, decode_sketch_payload

V2_OK = {"series": [{"metric": "page.views", "type": 2, "interval": 10,
                     "points": [{"timestamp": 1700000000, "value": 0.3}],
                     "resources": [{"type": "host", "name": "h"}], "tags": ["dyno:web.1"]}]}
V1_OK = {"series": [{"metric": "page.views", "points": [[1700000000, 0.3]], "type": "rate",
                     "interval": 10, "host": "h", "tags": ["dyno:web.1"]}]}


def post(url, path, body, encoding=None, key="k1", method="POST", timeout=5):
    host, port = url.replace("http://", "").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["DD-API-KEY"] = key
    if encoding:
        headers["Content-Encoding"] = encoding
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data or b"null")


def _varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number, wire, payload):
    key = _varint(number << 3 | wire)
    if wire == 2:
        return key + _varint(len(payload)) + payload
    return key + payload


class FakeIntakeTest(unittest.TestCase):
    def setUp(self):
        self.intake = FakeIntake().start()

    def tearDown(self):
        self.intake.stop()

    def test_v2_series_accepted_with_every_encoding(self):
        raw = json.dumps(V2_OK).encode()
        bodies = [(None, raw), ("deflate", zlib.compress(raw)), ("gzip", gzip.compress(raw))]
        if shutil.which("zstd"):
            zst = subprocess.run(["zstd", "-c", "-q"], input=raw, capture_output=True, check=True).stdout
            bodies.append(("zstd1", zst))
        for encoding, body in bodies:
            self.assertEqual(post(self.intake.url, "/api/v2/series", body, encoding), (202, {"errors": []}))
        self.assertEqual(self.intake.series_points("page.views"), [(1700000000, 0.3)] * len(bodies))
        self.assertEqual(self.intake.series("page.views")[0]["type"], "rate")
        self.assertEqual(self.intake.series("page.views")[0]["host"], "h")
        self.assertEqual(self.intake.invalid(), [])
        record = self.intake.records()[1]
        self.assertEqual(record["headers"]["content-encoding"], "deflate")
        self.assertTrue(record["headers"]["api_key_present"])
        self.assertNotIn("k1", json.dumps(self.intake.records()))

    def test_v1_tuple_points_fail_v2_schema(self):
        status, answer = post(self.intake.url, "/api/v2/series", json.dumps(V1_OK).encode())
        self.assertEqual(status, 400)
        self.assertTrue(answer["errors"])
        self.assertFalse(self.intake.records()[0]["schema_valid"])
        self.assertEqual(post(self.intake.url, "/api/v1/series", json.dumps(V1_OK).encode()),
                         (202, {"status": "ok"}))

    def test_encoding_not_accepted_by_endpoint(self):
        raw = json.dumps(V1_OK).encode()
        status, _ = post(self.intake.url, "/api/v1/series", raw, "zstd1")
        self.assertEqual(status, 400)
        self.assertIn("not accepted", self.intake.records()[0]["decode_error"])

    def test_check_run_and_events(self):
        checks = [{"check": "app.ok", "host_name": "h", "status": 0, "tags": [], "timestamp": 1, "message": "m"}]
        self.assertEqual(post(self.intake.url, "/api/v1/check_run", json.dumps(checks).encode())[0], 202)
        bad = [{"check": "app.ok", "status": 7, "tags": []}]
        self.assertEqual(post(self.intake.url, "/api/v1/check_run", json.dumps(bad).encode())[0], 400)
        event = {"title": "deploy", "text": "x" * 4000, "priority": "low", "alert_type": "info"}
        status, answer = post(self.intake.url, "/api/v1/events", json.dumps(event).encode())
        self.assertEqual((status, answer["status"]), (202, "ok"))
        event["text"] = "x" * 4001
        self.assertEqual(post(self.intake.url, "/api/v1/events", json.dumps(event).encode())[0], 400)
        self.assertEqual(len(self.intake.checks("app.ok")), 1)
        self.assertEqual(len(self.intake.events("deploy")), 1)

    def test_validate_and_keys(self):
        self.assertEqual(post(self.intake.url, "/api/v1/validate", None, method="GET"), (200, {"valid": True}))
        self.assertEqual(post(self.intake.url, "/api/v1/validate", None, key="bad", method="GET")[0], 403)
        self.assertEqual(post(self.intake.url, "/api/v2/series", json.dumps(V2_OK).encode(), key=None)[0], 403)
        self.assertEqual(post(self.intake.url, "/api/v2/series", json.dumps(V2_OK).encode(), key="bad")[0], 403)

    def test_sketch_protobuf_decoded(self):
        dog = (_field(1, 0, _varint(1700000000)) + _field(2, 0, _varint(3)) +
               _field(3, 1, struct.pack("<d", 1.0)) + _field(4, 1, struct.pack("<d", 10.0)) +
               _field(5, 1, struct.pack("<d", 13 / 3)) + _field(6, 1, struct.pack("<d", 13.0)) +
               _field(7, 2, _varint(2 * 1338) + _varint(2 * 1383) + _varint(2 * 5 - 1)) +
               _field(8, 2, _varint(1) + _varint(1) + _varint(1)))
        sketch = _field(1, 2, b"lat") + _field(2, 2, b"h") + _field(4, 2, b"a:b") + _field(7, 2, dog)
        payload = _field(1, 2, sketch)
        decoded = decode_sketch_payload(payload)
        self.assertEqual(decoded["sketches"][0]["dogsketches"][0]["k"], [1338, 1383, -5])
        status, _ = post(self.intake.url, "/api/beta/sketches", zlib.compress(payload), "deflate")
        self.assertEqual(status, 202)
        self.assertEqual(self.intake.sketches("lat")[0]["tags"], ["a:b"])
        self.assertEqual(post(self.intake.url, "/api/beta/sketches", b"\x0a\x05ab")[0], 400)

    def test_fail_count_then_recover(self):
        self.intake.fail(503, count=2)
        body = json.dumps(V2_OK).encode()
        statuses = [post(self.intake.url, "/api/v2/series", body)[0] for _ in range(3)]
        self.assertEqual(statuses, [503, 503, 202])
        self.assertEqual(len(self.intake.series_points("page.views")), 1)

    def test_fail_seconds_and_control(self):
        status, _ = post(self.intake.url, "/_control", json.dumps({"action": "fail", "status": 429, "seconds": 0.3}))
        self.assertEqual(status, 200)
        body = json.dumps(V2_OK).encode()
        self.assertEqual(post(self.intake.url, "/api/v2/series", body)[0], 429)
        time.sleep(0.4)
        self.assertEqual(post(self.intake.url, "/api/v2/series", body)[0], 202)
        self.assertEqual(post(self.intake.url, "/_control", json.dumps({"action": "nope"}))[0], 400)

    def test_max_body_and_documented_limit(self):
        self.intake.max_body(160)  # raw JSON is 188 bytes, deflated 137
        body = json.dumps(V2_OK).encode()
        self.assertEqual(post(self.intake.url, "/api/v2/series", body)[0], 413)
        self.assertEqual(post(self.intake.url, "/api/v2/series", zlib.compress(body), "deflate")[0], 202)
        self.intake.reset()
        big = {"series": [dict(V2_OK["series"][0], metric="m" * 1000000) for _ in range(6)]}  # 6 MB decoded
        self.assertEqual(post(self.intake.url, "/api/v2/series", zlib.compress(json.dumps(big).encode()),
                              "deflate")[0], 413)

    def test_delay(self):
        self.intake.delay(0.3, count=1)
        start = time.monotonic()
        post(self.intake.url, "/api/v2/series", json.dumps(V2_OK).encode())
        self.assertGreaterEqual(time.monotonic() - start, 0.3)

    def test_refuse_then_reopen_same_port(self):
        port = self.intake.port
        self.intake.refuse(0.5)
        with self.assertRaises(OSError):
            post(self.intake.url, "/api/v2/series", json.dumps(V2_OK).encode(), timeout=1)
        time.sleep(0.8)
        self.assertEqual(self.intake.port, port)
        self.assertEqual(post(self.intake.url, "/api/v2/series", json.dumps(V2_OK).encode())[0], 202)

    def test_wait_for_returns_on_arrival(self):
        self.assertFalse(self.intake.wait_for(lambda: self.intake.series_points("x"), timeout=0.1))


class FakeIntakeCliTest(unittest.TestCase):
    def test_cli_port_file_and_record(self):
        with tempfile.TemporaryDirectory() as tmp:
            port_file = os.path.join(tmp, "port")
            record = os.path.join(tmp, "r.jsonl")
            proc = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "fake_intake.py"),
                                     "--port-file", port_file, "--record", record, "--fail-status", "503",
                                     "--fail-count", "1"], stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 10
                while not os.path.exists(port_file) and time.monotonic() < deadline:
                    time.sleep(0.02)
                with open(port_file, encoding="utf-8") as handle:
                    url = handle.read().strip()
                body = json.dumps(V2_OK).encode()
                self.assertEqual(post(url, "/api/v2/series", body, key="secret-key-1234")[0], 503)
                self.assertEqual(post(url, "/api/v2/series", zlib.compress(body), "deflate",
                                      key="secret-key-1234")[0], 202)
            finally:
                proc.terminate()
                self.assertEqual(proc.wait(timeout=10), 0)
            with open(record, encoding="utf-8") as handle:
                text = handle.read()
            lines = [json.loads(line) for line in text.splitlines()]
            self.assertEqual([r["status"] for r in lines], [503, 202])
            self.assertEqual(lines[1]["body"], V2_OK)
            self.assertTrue(lines[1]["schema_valid"])
            self.assertEqual(lines[1]["headers"]["content-encoding"], "deflate")
            self.assertNotIn("secret-key-1234", text)


if __name__ == "__main__":
    unittest.main()
