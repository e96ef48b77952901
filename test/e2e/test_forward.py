"""End to end: the real agent forwarding to the fake intake — exact values, types, formats."""

import os
import subprocess
import tempfile
import time
import unittest

from agentlib import Agent
from fake_intake import FakeIntake

API_KEY = "e2e0ffee" + "0123456789abcdef" * 2  # 40 characters; must never show up in a log line
STATIC_TAGS = ["dyno:web.1", "dynotype:web", "appname:myapp"]


class ForwardTestCase(unittest.TestCase):
    """Starts a FakeIntake per test; start_agent() runs the real binary pointed at it."""

    intake_kwargs = {}

    def setUp(self):
        self.intake = FakeIntake(**self.intake_kwargs).start()
        self.agents = []

    def tearDown(self):
        for agent in self.agents:
            if agent.proc and agent.proc.poll() is None:
                agent.stop()
        self.intake.stop()
        for agent in self.agents:
            for line in agent.stderr() + agent.stdout():
                self.assertNotIn(API_KEY, line, "the API key leaked into a log line")
                self.assertNotIn(API_KEY[:20], line, "part of the API key leaked into a log line")
        self.assertEqual(self.intake.invalid(), [], "a payload failed decoding or schema validation")

    def start_agent(self, flush=1, **env):
        base = {"DD_API_KEY": API_KEY, "DD_DD_URL": self.intake.url, "DYNO": "web.1",
                "HEROKU_APP_NAME": "myapp", "DYNOSTATSD_FLUSH_INTERVAL": str(flush)}
        base.update({k: str(v) for k, v in env.items()})
        agent = Agent(env=base).start()
        self.agents.append(agent)
        return agent

    def counter_total(self, metric):
        """What the intake received for a counter: Σ rate value × interval (exact for our inputs)."""
        total = 0.0
        for series in self.intake.series(metric):
            for _, value in series["points"]:
                total += value * series["interval"]
        return total

    def wait_total(self, metric, expected, timeout=20):
        self.intake.wait_for(lambda: abs(self.counter_total(metric) - expected) < 1e-6, timeout)
        self.assertAlmostEqual(self.counter_total(metric), expected, places=6)

    def user_series(self):
        return [s for s in self.intake.series() if not s["metric"].startswith("dynostatsd.")]


DATAGRAM = "\n".join(
    ["fwd.hits:1|c", "fwd.hits:2|c|@0.5", "fwd.depth:7|g", "fwd.depth:9|g|#q:main",
     "fwd.users:alice|s", "fwd.users:alice|s", "fwd.users:bob|s", "fwd.users:carol|s"]
    + ["fwd.lat:%d|h" % v for v in range(1, 11)]
    + ["fwd.dist:1|d", "fwd.dist:2|d", "fwd.dist:10|d",
       "_sc|fwd.check|1|#svc:api|m:degraded",
       "_e{9,5}:fwd.title|hello|p:low|t:warning|k:agg1|#team:core"])


class ForwardValuesTest(ForwardTestCase):
    def test_every_kind_arrives_with_exact_values(self):
        agent = self.start_agent(flush=2)
        sent_at = time.time()
        agent.send(DATAGRAM)

        def complete():
            names = {s["metric"] for s in self.user_series()}
            wanted = {"fwd.hits", "fwd.depth", "fwd.users", "fwd.lat.max", "fwd.lat.95percentile"}
            return wanted <= names and self.intake.sketches("fwd.dist") and self.intake.checks("fwd.check") \
                and self.intake.events("fwd.title")

        self.assertTrue(self.intake.wait_for(complete, 15), "not everything arrived")
        by_key = {}
        for s in self.user_series():
            if any(v != 0 for _, v in s["points"]):  # skip zero-filled counter intervals
                by_key[(s["metric"], tuple(s["tags"]))] = s

        def one(metric, tags=()):
            series = by_key[(metric, tuple(list(tags) + STATIC_TAGS))]
            self.assertEqual(len(series["points"]), 1)
            ts, value = series["points"][0]
            self.assertEqual(ts % 2, 0, "timestamp is not the bucket start")
            self.assertLess(abs(ts - sent_at), 10)
            self.assertEqual(series["interval"], 2)
            self.assertEqual(series["api"], "v2")
            return series["type"], value

        self.assertEqual(one("fwd.hits"), ("rate", 2.5))         # (1 + 2/0.5) / 2 s
        self.assertEqual(one("fwd.depth"), ("gauge", 7))
        self.assertEqual(one("fwd.depth", ["q:main"]), ("gauge", 9))
        self.assertEqual(one("fwd.users"), ("gauge", 3))
        self.assertEqual(one("fwd.lat.max"), ("gauge", 10))
        self.assertEqual(one("fwd.lat.median"), ("gauge", 5))
        self.assertEqual(one("fwd.lat.avg"), ("gauge", 5.5))
        self.assertEqual(one("fwd.lat.count"), ("rate", 5))      # 10 samples / 2 s
        self.assertEqual(one("fwd.lat.95percentile"), ("gauge", 10))

        sketch = self.intake.sketches("fwd.dist")[0]
        self.assertEqual(sketch["tags"], STATIC_TAGS)
        dog = sketch["dogsketches"][0]
        self.assertEqual((dog["cnt"], dog["min"], dog["max"], dog["sum"]), (3, 1.0, 10.0, 13.0))
        self.assertAlmostEqual(dog["avg"], 13 / 3)
        self.assertEqual(dog["k"], [1338, 1383, 1487])
        self.assertEqual(dog["n"], [1, 1, 1])
        self.assertEqual(dog["ts"] % 2, 0)

        check = self.intake.checks("fwd.check")[0]
        self.assertEqual(check["status"], 1)
        self.assertEqual(check["message"], "degraded")
        self.assertEqual(check["tags"], ["svc:api"] + STATIC_TAGS)
        self.assertLess(abs(check["timestamp"] - sent_at), 10)

        event = self.intake.events("fwd.title")[0]
        self.assertEqual((event["text"], event["priority"], event["alert_type"], event["aggregation_key"]),
                         ("hello", "low", "warning", "agg1"))
        self.assertEqual(event["tags"], ["team:core"] + STATIC_TAGS)
        self.assertLess(abs(event["date_happened"] - sent_at), 10)

        for record in self.intake.records():
            if record["path"] != "/api/v1/validate":
                self.assertEqual(record["status"], 202, record["path"])
                self.assertEqual(record["headers"]["user-agent"].split("/")[0], "dynostatsd")
                self.assertTrue(record["headers"]["api_key_present"])
            if record["path"] in ("/api/v2/series", "/api/v1/check_run", "/api/v1/events"):
                self.assertTrue(record["schema_valid"], record.get("schema_errors"))
        encodings = {r["path"]: r["headers"]["content-encoding"] for r in self.intake.records()}
        self.assertEqual(encodings["/api/v2/series"], "zstd1")
        self.assertEqual(encodings["/api/beta/sketches"], "deflate")
        self.assertEqual(encodings["/api/v1/check_run"], "deflate")
        self.assertIsNone(encodings["/api/v1/events"])
        self.assertEqual(agent.stop(), 0)

    def test_v1_series_api_with_gzip(self):
        agent = self.start_agent(DYNOSTATSD_SERIES_API="v1", DYNOSTATSD_COMPRESSION="gzip")
        agent.send("fwd.v1:3|c\nfwd.v1g:1.25|g")
        self.wait_total("fwd.v1", 3)
        self.assertTrue(self.intake.wait_for(lambda: self.intake.series("fwd.v1g"), 10))
        gauge = self.intake.series("fwd.v1g")[0]
        self.assertEqual((gauge["api"], gauge["type"], gauge["points"][0][1]), ("v1", "gauge", 1.25))
        records = self.intake.accepted("/api/v1/series")
        self.assertTrue(records)
        self.assertEqual(self.intake.accepted("/api/v2/series"), [])
        for record in records:
            self.assertEqual(record["headers"]["content-encoding"], "gzip")
            self.assertTrue(record["schema_valid"])
            self.assertIsInstance(record["body"]["series"][0]["points"][0], list)
        self.assertEqual(agent.stop(), 0)

    def test_deflate_and_no_compression(self):
        for setting, header in (("deflate", "deflate"), ("none", None)):
            self.intake.clear()
            agent = self.start_agent(DYNOSTATSD_COMPRESSION=setting)
            agent.send("fwd.enc:1|c")
            self.wait_total("fwd.enc", 1)
            self.assertEqual(agent.stop(), 0)
            encodings = {r["headers"]["content-encoding"] for r in self.intake.accepted("/api/v2/series")}
            self.assertEqual(encodings, {header})

    def test_sigterm_right_after_the_last_datagram_delivers_everything(self):
        agent = self.start_agent(flush=10)  # the open 10 s bucket must be flushed at shutdown
        for i in range(50):
            agent.send("fwd.final:1|c|#batch:%d" % (i % 5))
        agent.send("fwd.final.gauge:42|g")
        started = time.monotonic()
        self.assertEqual(agent.stop(), 0)
        elapsed = time.monotonic() - started
        self.assertEqual(self.counter_total("fwd.final"), 50)
        self.assertEqual([v for _, v in self.intake.series_points("fwd.final.gauge")], [42])
        self.assertLess(elapsed, 10, "shutdown took too long")
        self.assertTrue(any("event=drained" in line for line in agent.stderr()))

    def test_http_proxy_from_the_environment_is_used(self):
        # The intake doubles as the proxy: libcurl sends the absolute URL to it.
        agent = self.start_agent(DD_DD_URL="http://intake.invalid:9", http_proxy=self.intake.url)
        agent.send("fwd.proxied:2|c")
        self.wait_total("fwd.proxied", 2)
        self.assertTrue(all(r["proxied"] for r in self.intake.records()))
        self.assertEqual(agent.stop(), 0)

    def test_no_proxy_bypasses_the_proxy(self):
        agent = self.start_agent(http_proxy="http://127.0.0.1:9", NO_PROXY="127.0.0.1")
        agent.send("fwd.direct:2|c")
        self.wait_total("fwd.direct", 2)
        self.assertFalse(any(r["proxied"] for r in self.intake.records()))
        self.assertEqual(agent.stop(), 0)


    def test_https_proxy_from_the_environment_is_used(self):
        # No DD_DD_URL: the default https://api.datadoghq.com goes through the proxy's CONNECT.
        agent = self.start_agent(DD_DD_URL="", HTTPS_PROXY=self.intake.url)
        agent.send("fwd.tunnel:1|c")
        connects = self.intake.wait_for(
            lambda: [r for r in self.intake.records() if r["method"] == "CONNECT"], 15)
        self.assertTrue(connects)
        self.assertEqual({r["path"] for r in connects}, {"api.datadoghq.com:443"})
        self.assertFalse(any(r["headers"]["api_key_present"] for r in connects), "key sent to the proxy")
        agent.kill()

    def test_no_proxy_applies_to_https_too(self):
        # A .invalid host never resolves, with or without internet access: the direct attempt fails
        # with a DNS error, and nothing may reach the proxy.
        agent = self.start_agent(DD_DD_URL="https://api.datadoghq.invalid", HTTPS_PROXY=self.intake.url,
                                 NO_PROXY=".invalid")
        agent.send("fwd.notunnel:1|c")
        self.assertTrue(agent.wait_for_stderr(r"stage=forward reason=dns endpoint=series_v2", 40))
        self.assertEqual([r for r in self.intake.records() if r["method"] == "CONNECT"], [])
        agent.kill()


class ForwardTlsTest(unittest.TestCase):
    """A FakeIntake over https with a self-signed certificate for 127.0.0.1 (self.cert)."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.cert, key = os.path.join(self.tmp.name, "cert.pem"), os.path.join(self.tmp.name, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", self.cert], check=True, capture_output=True)
        self.intake = FakeIntake(tls_cert=self.cert, tls_key=key).start()
        self.assertTrue(self.intake.url.startswith("https://"))

    def tearDown(self):
        self.intake.stop()
        self.tmp.cleanup()

    def start_agent(self, **env):
        return Agent(env={"DD_API_KEY": API_KEY, "DD_DD_URL": self.intake.url, "DYNO": "web.1",
                          "DYNOSTATSD_FLUSH_INTERVAL": "1", **env}).start()

    def assert_no_key_in_logs(self, agent):
        for line in agent.stderr():
            self.assertNotIn(API_KEY, line)

    def test_tls_verification_is_always_on(self):
        agent = self.start_agent()
        agent.send("fwd.tls:1|c")
        # A self-signed certificate is refused: the request never reaches the intake.
        self.assertTrue(agent.wait_for_stderr(r"reason=tls endpoint=series_v2", 15))
        agent.stop()
        self.assertEqual(self.intake.records(), [])
        self.assert_no_key_in_logs(agent)

    def test_native_client_sends_over_verified_tls(self):
        # The certificate trusted through SSL_CERT_FILE (honoured by the native client, as by
        # OpenSSL; libcurl reads its own bundle): the series arrive over https.
        agent = self.start_agent(SSL_CERT_FILE=self.cert)
        for i in range(3):
            agent.send("fwd.tls.ok:1|c")
            self.intake.wait_for(lambda: self.intake.series_sum("fwd.tls.ok") >= i + 1, 15)
        self.assertEqual(self.intake.series_sum("fwd.tls.ok"), 3)
        self.assertTrue(agent.wait_for_stderr(r"stage=forward http_client=native", 5))
        self.assertEqual(agent.stop(), 0)
        self.assert_no_key_in_logs(agent)

if __name__ == "__main__":
    unittest.main()


class ForwardVolumeTest(ForwardTestCase):
    def test_40k_series_arrive_split_within_the_limits(self):
        # Payloads are filled up to the intake's limits (10,000 series each): this fake intake
        # schema-validates each in Python, which takes seconds on a busy 2-core machine, so the
        # 20 s default timeout would retry (and duplicate) a payload the intake did accept.
        agent = self.start_agent(flush=2, DD_FORWARDER_TIMEOUT=90)
        names = ["fwd.vol.%05d" % i for i in range(40000)]
        for start in range(0, len(names), 40):
            # Gauges: counters would be zero-filled, resending 40k series every flush for 5 minutes.
            agent.send("\n".join("%s:%d|g|#route:/r/%d,tier:volume-test" % (n, i % 97, i)
                                 for i, n in enumerate(names[start:start + 40], start)))
            if start % 400 == 0:
                time.sleep(0.01)  # stay within the socket's receive buffer: this tests forwarding

        def received():
            return {s["metric"] for s in self.intake.series() if s["metric"].startswith("fwd.vol.")}

        self.assertTrue(self.intake.wait_for(lambda: len(received()) == 40000, 120))
        agent.stop()
        payloads = [r for r in self.intake.accepted("/api/v2/series")
                    if any(s["metric"].startswith("fwd.vol.") for s in r["body"]["series"])]
        self.assertGreaterEqual(len(payloads), 2, "40k series need more than one v2 payload")
        for record in payloads:
            self.assertLessEqual(record["body_bytes"], 512000)
            self.assertLess(record["decoded_bytes"], 5242880)
            self.assertTrue(record["schema_valid"])
        for i in range(0, 40000, 997):
            points = self.intake.series_points(names[i])
            self.assertEqual([v for _, v in points], [i % 97], names[i])
