"""Drain mode end to end: the real binary (`dynostatsd drain`), Logplex batches POSTed with curl
(test/fixtures/drain/mixed.logplex is in Logplex's exact wire format), the l2met report on stdout
and the fake Datadog intake."""

import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from agentlib import REPO, Agent
from fake_intake import FakeIntake

FIXTURE = os.path.join(REPO, "test", "fixtures", "drain", "mixed.logplex")
FIXTURE_FRAMES = 14
USER, PASSWORD = "drain", "s3cret-drain-pw"
API_KEY = "0123456789abcdef0123456789abcdef"
READY_DRAIN = re.compile(r"\bdrain=127\.0\.0\.1:(\d+)\b")

WEB1_200 = "app:shop,dyno:web.1,dynotype:web,method:GET,protocol:https,status:200,status_class:2xx"
WEB2_404 = "app:shop,dyno:web.2,dynotype:web,method:POST,protocol:http,status:404,status_class:4xx"
WEB1_503 = "app:shop,dyno:web.1,dynotype:web,method:GET,protocol:https,status:503,status_class:5xx"
NODYNO_503 = "app:shop,method:GET,protocol:https,status:503,status_class:5xx"


def frame(message):
    data = (message + "\n").encode()
    return str(len(data)).encode() + b" " + data


def router_line(status=200, dyno="web.1", service=10):
    return ('<158>1 2026-07-22T00:06:26.101010+00:00 host heroku router - at=info method=GET path="/" '
            'host=shop.herokuapp.com request_id=8601b555 fwd="203.0.113.7" dyno=%s connect=1ms service=%dms '
            'status=%d bytes=100 protocol=https' % (dyno, service, status))


def router_batch(count):
    return b"".join(frame(router_line()) for _ in range(count))


class DrainTestCase(unittest.TestCase):
    def setUp(self):
        self.agents = []
        self.tmp = tempfile.mkdtemp(prefix="drain-e2e-")

    def tearDown(self):
        for agent in self.agents:
            if agent.proc and agent.proc.poll() is None:
                agent.stop()
            for line in agent.stderr() + agent.stdout():
                self.assertNotIn(PASSWORD, line, "a drain credential leaked into the output")
                self.assertNotIn(API_KEY, line, "the API key leaked into the output")

    def start_drain(self, **env):
        base = {"DYNOSTATSD_DRAIN_CREDENTIALS": "%s:%s" % (USER, PASSWORD), "PORT": "0",
                "DYNOSTATSD_DRAIN_BIND_HOST": "127.0.0.1", "DYNOSTATSD_FLUSH_INTERVAL": "1",
                "DYNO": "web.1", "HEROKU_APP_NAME": "the-drain"}
        base.update({k: str(v) for k, v in env.items()})
        agent = Agent(env=base, command="drain").start()
        self.agents.append(agent)
        agent.drain_port = int(READY_DRAIN.search(agent.ready_line).group(1))
        return agent

    def curl(self, agent, body, app="shop", user=USER, password=PASSWORD, frame_id=None, msg_count=None,
             content_type="application/logplex-1", extra=()):
        """POSTs `body` (bytes, or a file path) with curl; returns (status, response headers text)."""
        if isinstance(body, bytes):
            fd, path = tempfile.mkstemp(dir=self.tmp)
            with os.fdopen(fd, "wb") as f:
                f.write(body)
        else:
            path = body
        headers_file = os.path.join(self.tmp, "headers")
        args = ["curl", "-sS", "-o", "/dev/null", "-D", headers_file, "-w", "%{http_code}", "--max-time", "10",
                "--data-binary", "@" + path, "-H", "Content-Type: " + content_type,
                "-H", "User-Agent: Logplex/v123", "-H", "Logplex-Drain-Token: d.fc6b856b-3332-4546-93de-7d0ee272c3bd"]
        if user is not None:
            args += ["-u", "%s:%s" % (user, password)]
        if frame_id is not None:
            args += ["-H", "Logplex-Frame-Id: " + frame_id]
        if msg_count is not None:
            args += ["-H", "Logplex-Msg-Count: %d" % msg_count]
        args += list(extra)
        args.append("http://127.0.0.1:%d/logs/%s" % (agent.drain_port, app))
        done = subprocess.run(args, capture_output=True, text=True, timeout=20)
        with open(headers_file) as f:
            headers = f.read()
        return int(done.stdout or "0"), headers


class DrainL2metTest(DrainTestCase):
    def test_fixture_batch_gives_exact_metrics_in_the_l2met_report(self):
        agent = self.start_drain()
        status, _ = self.curl(agent, FIXTURE, frame_id="09C557EAFCFB6CF2740EE62F62971098", msg_count=FIXTURE_FRAMES)
        self.assertEqual(status, 204)
        self.assertTrue(agent.wait_until(lambda: agent.total("dynostatsd.drain.frames") >= FIXTURE_FRAMES, 10))
        agent.stop()

        self.assertEqual(agent.total("heroku.router.requests", WEB1_200), 2)
        self.assertEqual(agent.total("heroku.router.requests", WEB2_404), 1)
        self.assertEqual(agent.total("heroku.router.requests", WEB1_503), 1)
        self.assertEqual(agent.total("heroku.router.requests", NODYNO_503), 1)
        self.assertEqual(agent.total("heroku.router.errors", "app:shop,code:H12,dyno:web.1,dynotype:web"), 1)
        self.assertEqual(agent.total("heroku.router.errors", "app:shop,code:H10"), 1)
        self.assertEqual(agent.samples("heroku.router.service.avg", WEB1_200), [20])
        self.assertEqual(agent.samples("heroku.router.service.max", WEB1_200), [22])
        self.assertEqual(agent.total("heroku.router.service.count", WEB1_200), 2)
        self.assertEqual(agent.samples("heroku.router.connect.min", WEB1_200), [1])
        self.assertEqual(agent.samples("heroku.router.bytes.max", WEB1_200), [1345])
        self.assertEqual(agent.samples("heroku.router.service.max", WEB1_503), [30000])
        self.assertEqual(agent.total("heroku.errors", "app:shop,code:R14,dyno:web.1,dynotype:web"), 1)
        self.assertEqual(agent.total("heroku.errors", "app:shop,code:L10"), 1)
        self.assertEqual(agent.total("heroku.logplex.dropped", "app:shop"), 7)
        dyno = "app:shop,dyno:web.1,dynotype:web"
        self.assertEqual(agent.samples("heroku.dyno.memory.total", dyno), [21 * 1048576])
        self.assertEqual(agent.samples("heroku.dyno.memory.quota", dyno), [512 * 1048576])
        self.assertEqual(agent.samples("heroku.dyno.load_avg.1m", dyno), [2.46])
        self.assertEqual(agent.samples("heroku.dyno.load_avg.15m", dyno), [0.99])
        pg = "addon:postgresql-curly-12345,app:shop,database:HEROKU_POSTGRESQL_RED"
        self.assertEqual(agent.samples("heroku.postgres.db_size", pg), [8823287])
        self.assertEqual(agent.samples("heroku.postgres.active_connections", pg), [4])
        self.assertEqual(agent.samples("heroku.postgres.memory_free", pg), [15632 * 1024])
        l2met = "app:shop,source:checkout"
        self.assertEqual(agent.total("orders.placed", l2met), 2)
        self.assertEqual(agent.samples("db.query.avg", l2met), [12.5])
        self.assertEqual(agent.samples("queue.depth", l2met), [7])
        self.assertEqual(agent.samples("user", l2met), [1])
        self.assertEqual(agent.total("dynostatsd.drain.frames.malformed.bad_length"), 1)
        self.assertEqual(agent.total("dynostatsd.drain.frames.malformed.bad_pri"), 1)
        self.assertEqual(agent.total("dynostatsd.drain.msg_count_mismatch"), 0)
        # Nothing unbounded became a tag, and the drain dyno's own identity is not on derived series.
        report = "\n".join(agent.stdout())
        for value in ("herokuapp.com", "203.0.113", "8601b555", "cart", "the-drain", "dyno:web.1,dynotype:web,"
                      "method:GET,protocol:https,status:200,status_class:2xx,"):
            self.assertNotIn(value, report)

    def test_wrong_credentials_get_401_and_count_nothing(self):
        agent = self.start_drain()
        for user, password in ((USER, "wrong"), ("other", PASSWORD), (None, None)):
            status, headers = self.curl(agent, router_batch(3), user=user, password=password)
            self.assertEqual(status, 401)
            self.assertIn("WWW-Authenticate: Basic", headers)
        self.assertEqual(self.curl(agent, router_batch(3), app="other-app")[0], 204)
        agent.stop()
        self.assertEqual(agent.total("heroku.router.requests", WEB1_200.replace("app:shop", "app:other-app")), 3)
        self.assertEqual(agent.total("heroku.router.requests", WEB1_200), 0)
        self.assertEqual(agent.total("dynostatsd.drain.requests.401"), 3)

    def test_per_app_credentials_are_valid_for_their_app_only(self):
        agent = self.start_drain(DYNOSTATSD_DRAIN_CREDENTIALS="",
                                 DYNOSTATSD_DRAIN_CREDENTIALS_MY_SHOP="shopdrain:per-app-s3cret")
        self.assertEqual(self.curl(agent, router_batch(1), app="my-shop", user="shopdrain",
                                   password="per-app-s3cret")[0], 204)
        self.assertEqual(self.curl(agent, router_batch(1), app="other", user="shopdrain",
                                   password="per-app-s3cret")[0], 401)
        agent.stop()
        self.assertEqual(agent.total("heroku.router.requests", WEB1_200.replace("app:shop", "app:my-shop")), 1)
        for line in agent.stderr() + agent.stdout():
            self.assertNotIn("per-app-s3cret", line)

    def test_no_credentials_is_a_startup_error(self):
        agent = Agent(env={"PORT": "0", "DYNOSTATSD_DRAIN_BIND_HOST": "127.0.0.1"}, command="drain")
        with self.assertRaises(RuntimeError):
            agent.start(timeout=5)
        self.assertEqual(agent.proc.returncode, 2)
        self.assertTrue(any("drain mode needs credentials" in l for l in agent.stderr()))
        bad = Agent(env={"PORT": "0", "DYNOSTATSD_DRAIN_CREDENTIALS": "no-colon-" + PASSWORD}, command="drain")
        with self.assertRaises(RuntimeError):
            bad.start(timeout=5)
        self.assertEqual(bad.proc.returncode, 2)
        self.assertFalse(any(PASSWORD in l for l in bad.stderr() + bad.stdout()))

    def test_body_over_the_limit_gets_413_and_counts_nothing(self):
        agent = self.start_drain(DYNOSTATSD_DRAIN_MAX_BODY_BYTES=2048)
        self.assertEqual(self.curl(agent, router_batch(50))[0], 413)
        self.assertEqual(self.curl(agent, router_batch(5))[0], 204)
        # A chunked body over the limit is refused too, once it grows past it.
        self.assertEqual(self.curl(agent, router_batch(50), extra=["-H", "Transfer-Encoding: chunked"])[0], 413)
        agent.stop()
        self.assertEqual(agent.total("heroku.router.requests", WEB1_200), 5)

    def test_duplicate_frame_ids_are_counted_once(self):
        agent = self.start_drain()
        for _ in range(3):
            self.assertEqual(self.curl(agent, router_batch(4), frame_id="AAAA0000", msg_count=4)[0], 204)
        self.assertEqual(self.curl(agent, router_batch(4), frame_id="BBBB1111", msg_count=4)[0], 204)
        # The same id from another app is another batch.
        self.assertEqual(self.curl(agent, router_batch(4), app="other", frame_id="AAAA0000")[0], 204)
        agent.stop()
        self.assertEqual(agent.total("heroku.router.requests", WEB1_200), 8)
        self.assertEqual(agent.total("heroku.router.requests", WEB1_200.replace("app:shop", "app:other")), 4)
        self.assertEqual(agent.total("dynostatsd.drain.duplicates"), 2)

    def test_refusals_have_their_status(self):
        agent = self.start_drain()
        self.assertEqual(self.curl(agent, router_batch(1), content_type="application/json")[0], 415)
        self.assertEqual(self.curl(agent, router_batch(1), app="Bad_App")[0], 404)
        self.assertEqual(self.curl(agent, router_batch(1), extra=["-X", "PUT"])[0], 405)
        self.assertEqual(self.curl(agent, router_batch(2), extra=["-H", "Transfer-Encoding: chunked"])[0], 204)
        self.assertEqual(self.curl(agent, router_batch(1), msg_count=5)[0], 204)
        agent.stop()
        self.assertEqual(agent.total("heroku.router.requests", WEB1_200), 3)
        self.assertEqual(agent.total("dynostatsd.drain.msg_count_mismatch"), 1)

    def test_over_the_in_flight_bound_gets_503_with_retry_after(self):
        agent = self.start_drain(DYNOSTATSD_DRAIN_MAX_IN_FLIGHT=1)
        body = router_batch(2)
        held = socket.create_connection(("127.0.0.1", agent.drain_port))
        held.sendall(self.request_head(len(body)) + body[:10])
        time.sleep(0.3)
        status, headers = self.curl(agent, router_batch(1))
        self.assertEqual(status, 503)
        self.assertIn("Retry-After: 1", headers)
        held.sendall(body[10:])
        self.assertTrue(self.read_response(held).startswith(b"HTTP/1.1 204"))
        held.close()
        self.assertEqual(self.curl(agent, router_batch(1))[0], 204)
        agent.stop()
        self.assertEqual(agent.total("heroku.router.requests", WEB1_200), 3)

    def test_a_slow_client_is_cut_off_without_an_answer(self):
        agent = self.start_drain(DYNOSTATSD_DRAIN_REQUEST_TIMEOUT=1)
        slow = socket.create_connection(("127.0.0.1", agent.drain_port))
        slow.sendall(b"POST /logs/shop HTTP/1.1\r\nHost: x\r\n")
        slow.settimeout(5)
        started = time.monotonic()
        self.assertEqual(slow.recv(100), b"")  # closed, no answer (a 408 would make Logplex drop the batch)
        self.assertLess(time.monotonic() - started, 4)
        slow.close()
        agent.stop()
        self.assertEqual(agent.total("dynostatsd.drain.timeouts"), 1)

    def test_sigterm_during_posts_loses_nothing_answered_2xx(self):
        agent = self.start_drain(DYNOSTATSD_SHUTDOWN_GRACE=1)
        lines_per_batch = 20
        body = router_batch(lines_per_batch)
        answered = []
        stop = threading.Event()

        def poster():
            conn = None
            while not stop.is_set():
                try:
                    if conn is None:
                        conn = socket.create_connection(("127.0.0.1", agent.drain_port), timeout=5)
                    conn.sendall(self.request_head(len(body)) + body)
                    response = self.read_response(conn)
                    if response.startswith(b"HTTP/1.1 204"):
                        answered.append(1)
                    if b"Connection: close" in response or not response:
                        conn.close()
                        conn = None
                except OSError:
                    if conn is not None:
                        conn.close()
                    conn = None
                    time.sleep(0.01)

        threads = [threading.Thread(target=poster) for _ in range(3)]
        for t in threads:
            t.start()
        # A request under way when SIGTERM arrives: head and half the body now, the rest after.
        pending = socket.create_connection(("127.0.0.1", agent.drain_port))
        pending.sendall(self.request_head(len(body)) + body[:100])
        time.sleep(0.5)
        agent.signal(signal.SIGTERM)
        time.sleep(0.2)
        pending.sendall(body[100:])
        pending_answer = self.read_response(pending)
        pending.close()
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(agent.wait(20), 0)
        self.assertTrue(pending_answer.startswith(b"HTTP/1.1 204"), pending_answer)
        self.assertIn(b"Connection: close", pending_answer)
        self.assertGreater(len(answered), 5)
        expected = (len(answered) + 1) * lines_per_batch
        # Every 2xx batch is in the output; a batch cut by the shutdown was never answered 2xx.
        self.assertEqual(agent.total("heroku.router.requests", WEB1_200), expected)

    @staticmethod
    def request_head(length):
        return ("POST /logs/shop HTTP/1.1\r\nHost: drain\r\nAuthorization: Basic %s\r\n"
                "Content-Type: application/logplex-1\r\nContent-Length: %d\r\n\r\n"
                % (__import__("base64").b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode(), length)).encode()

    @staticmethod
    def read_response(sock):
        sock.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        match = re.search(rb"Content-Length: (\d+)", head)
        length = int(match.group(1)) if match else 0
        while len(rest) < length:
            chunk = sock.recv(4096)
            if not chunk:
                break
            rest += chunk
        return head + b"\r\n\r\n" + rest


class DrainDatadogTest(DrainTestCase):
    def setUp(self):
        super().setUp()
        self.intake = FakeIntake().start()

    def tearDown(self):
        super().tearDown()
        self.intake.stop()

    def test_fixture_batch_arrives_at_the_intake(self):
        agent = self.start_drain(DD_API_KEY=API_KEY, DD_DD_URL=self.intake.url)
        self.assertEqual(self.curl(agent, FIXTURE, frame_id="F1", msg_count=FIXTURE_FRAMES)[0], 204)
        agent.stop()
        self.assertEqual(self.intake.invalid(), [])

        def count(metric, tags):
            return sum(v * s["interval"] for s in self.intake.series(metric) if sorted(s["tags"]) == tags
                       for _, v in s["points"])

        self.assertEqual(count("heroku.router.requests", WEB1_200.split(",")), 2)
        self.assertEqual(count("heroku.router.requests", NODYNO_503.split(",")), 1)
        self.assertEqual(count("heroku.router.errors", ["app:shop", "code:H12", "dyno:web.1", "dynotype:web"]), 1)
        self.assertEqual(count("heroku.errors", ["app:shop", "code:R14", "dyno:web.1", "dynotype:web"]), 1)
        self.assertEqual(count("orders.placed", ["app:shop", "source:checkout"]), 2)
        gauges = {s["metric"]: s["points"][-1][1] for s in self.intake.series()
                  if s["type"] == "gauge" and "app:shop" in s["tags"]}
        self.assertEqual(gauges["heroku.dyno.memory.rss"], 21.22 * 1048576)
        self.assertEqual(gauges["heroku.postgres.write_iops"], 0.06)
        service = [s for s in self.intake.sketches("heroku.router.service") if sorted(s["tags"]) == WEB1_200.split(",")]
        self.assertEqual(len(service), 1)
        sketch = service[0]["dogsketches"][0]
        self.assertEqual((sketch["cnt"], sketch["min"], sketch["max"], sketch["sum"]), (2, 18, 22, 40))
        for s in self.intake.series() + self.intake.sketches():
            for tag in s["tags"]:
                self.assertFalse(tag.startswith(("host:", "path:", "request_id:", "fwd:")), tag)


if __name__ == "__main__":
    unittest.main()
