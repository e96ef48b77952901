"""End to end: the real agent exporting OTLP/HTTP to a fake intake that decodes every request with
python3-protobuf modules generated from the official .proto files (fake_otlp_intake.py)."""

import re
import time
import unittest
from email.utils import formatdate

from agentlib import Agent
from fake_intake import FakeIntake
from fake_otlp_intake import FakeOtlpIntake, attributes

SECRET = "otlp0secret0" + "abcdef0123456789" * 2  # a header value: must never show up in a log line
DELTA, CUMULATIVE = 1, 2
DD_API_KEY = "e2e0ffee" + "0123456789abcdef" * 2


def send_paced(agent, line, count, seconds):
    start = time.monotonic()
    for i in range(count):
        agent.send(line)
        delay = start + seconds * (i + 1) / count - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def lines(agent, pattern):
    regex = re.compile(pattern)
    return [line for line in agent.stderr() if regex.search(line)]


class OtlpTestCase(unittest.TestCase):
    def setUp(self):
        self.otlp = FakeOtlpIntake().start()
        self.agents = []

    def tearDown(self):
        for agent in self.agents:
            if agent.proc and agent.proc.poll() is None:
                agent.stop()
        self.otlp.stop()
        for agent in self.agents:
            for line in agent.stderr() + agent.stdout():
                self.assertNotIn(SECRET, line, "a header value leaked into a log line")
                self.assertNotIn(SECRET[:16], line, "part of a header value leaked into a log line")
        self.assertEqual(self.otlp.invalid(), [], "a request failed decoding")

    def start_agent(self, flush=1, **env):
        base = {"OTEL_EXPORTER_OTLP_ENDPOINT": self.otlp.url, "DYNO": "web.1", "HEROKU_APP_NAME": "myapp",
                "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer%20" + SECRET + ",x-team=core",
                "DYNOSTATSD_FLUSH_INTERVAL": str(flush), "DYNOSTATSD_SELF_METRICS": "false"}
        base.update({k: str(v) for k, v in env.items()})
        agent = Agent(env=base).start()
        self.agents.append(agent)
        return agent

    def wait_total(self, name, expected, timeout=20, match=None):
        self.otlp.wait_for(lambda: abs(self.otlp.total(name, match) - expected) < 1e-6, timeout)
        self.assertAlmostEqual(self.otlp.total(name, match), expected, places=6)


DATAGRAM = "\n".join(
    ["otlp.hits:1|c|#env:prod,env:canary,bare", "otlp.hits:2|c|@0.5|#env:prod,env:canary,bare",
     "otlp.depth:7|g", "otlp.depth:-2.5|g", "otlp.users:alice|s", "otlp.users:alice|s", "otlp.users:bob|s"]
    + ["otlp.lat:%d|ms" % v for v in range(1, 11)]
    + ["otlp.neg:-3|h", "otlp.neg:4|h", "otlp.dist:1|d", "otlp.dist:2|d", "otlp.dist:10|d",
       "_sc|otlp.check|1", "_e{5,2}:title|hi"])


class OtlpValuesTest(OtlpTestCase):
    def test_every_type_delta_with_exact_values_headers_gzip_and_resource(self):
        agent = self.start_agent(flush=2, HEROKU_DYNO_ID="1vac4117-c29f", HEROKU_RELEASE_VERSION="v42",
                                 HEROKU_APP_ID="app-123", HEROKU_SLUG_COMMIT="abc123",
                                 HEROKU_RELEASE_CREATED_AT="2026-12-01T22:00:00Z",
                                 OTEL_RESOURCE_ATTRIBUTES="deployment.environment.name=prod%20eu")
        agent.send(DATAGRAM)
        wanted = {"otlp.hits", "otlp.depth", "otlp.users", "otlp.lat", "otlp.neg", "otlp.dist"}
        self.otlp.wait_for(lambda: wanted <= {m.name for m, _ in self.otlp.metrics()}, 15)

        hits = self.otlp.points("otlp.hits")
        metric = self.otlp.metrics("otlp.hits")[0][0]
        self.assertEqual(metric.sum.aggregation_temporality, DELTA)
        self.assertTrue(metric.sum.is_monotonic)
        self.assertEqual(sum(p.as_double for p in hits), 5)  # 1 + 2/0.5
        point = next(p for p in hits if p.as_double == 5)
        self.assertEqual(attributes(point.attributes),
                         {"env": "canary,prod", "bare": "", "dyno": "web.1", "dynotype": "web", "appname": "myapp",
                          "release": "v42"})
        self.assertEqual(point.time_unix_nano - point.start_time_unix_nano, 2 * 10**9)
        self.assertEqual(point.start_time_unix_nano % (2 * 10**9), 0)  # the bucket start

        depth = self.otlp.metrics("otlp.depth")[0][0]
        self.assertEqual(depth.WhichOneof("data"), "gauge")
        self.assertEqual(depth.gauge.data_points[0].as_double, -2.5)
        users = self.otlp.metrics("otlp.users")[0][0]
        self.assertEqual(users.gauge.data_points[0].as_double, 2)

        lat = self.otlp.metrics("otlp.lat")[0][0]
        self.assertEqual(lat.WhichOneof("data"), "exponential_histogram")
        self.assertEqual(lat.unit, "ms")
        self.assertEqual(lat.exponential_histogram.aggregation_temporality, DELTA)
        p = lat.exponential_histogram.data_points[0]
        self.assertEqual((p.count, p.sum, p.min, p.max), (10, 55, 1, 10))
        self.assertTrue(p.HasField("sum"))
        self.assertEqual(sum(p.positive.bucket_counts) + p.zero_count, 10)
        # The highest scale <= 6 (relative error <= 0.54 %) whose buckets for 1..10 fit in 160, as the
        # SDK downscales: scale 6 would need 214 buckets, so 5.
        self.assertEqual(p.scale, 5)
        base = 2 ** (2 ** -p.scale)
        self.assertLessEqual(len(p.positive.bucket_counts), 160)
        for v in range(1, 11):  # every sample in the bucket (base^i, base^(i+1)] that counts it
            i = next(i for i in range(p.positive.offset - 1, p.positive.offset + len(p.positive.bucket_counts) + 1)
                     if base ** i < v * (1 + 1e-12) and v <= base ** (i + 1) * (1 + 1e-12))
            self.assertGreater(p.positive.bucket_counts[i - p.positive.offset], 0)

        neg = self.otlp.metrics("otlp.neg")[0][0].exponential_histogram.data_points[0]
        self.assertFalse(neg.HasField("sum"))  # negative values recorded: no sum, per the proto
        self.assertEqual((neg.count, neg.min, neg.max), (2, -3, 4))
        self.assertEqual(sum(neg.negative.bucket_counts), 1)
        dist = self.otlp.metrics("otlp.dist")[0][0].exponential_histogram.data_points[0]
        self.assertEqual((dist.count, dist.sum, dist.min, dist.max), (3, 13, 1, 10))

        names = {m.name for m, _ in self.otlp.metrics()}
        self.assertNotIn("otlp.lat.95percentile", names)  # Datadog's shapes are not sent
        self.assertNotIn("otlp.check", names)

        record = self.otlp.requests_ok()[0]
        headers = record["headers"]
        self.assertEqual(headers["authorization"], "Bearer " + SECRET)
        self.assertEqual(headers["x-team"], "core")
        self.assertEqual(headers["content-type"], "application/x-protobuf")
        self.assertEqual(headers["content-encoding"], "gzip")
        self.assertEqual(record["path"], "/v1/metrics")

        _, resource = self.otlp.metrics("otlp.hits")[0]
        self.assertEqual(resource, {
            "cloud.provider": "heroku", "service.name": "myapp", "service.instance.id": "1vac4117-c29f",
            "service.version": "v42", "heroku.app.id": "app-123", "heroku.release.commit": "abc123",
            "heroku.release.creation_timestamp": "2026-12-01T22:00:00Z", "heroku.dyno": "web.1",
            "heroku.dyno.type": "web", "deployment.environment.name": "prod eu"})
        scope = self.otlp.requests_ok()[0]["request"].resource_metrics[0].scope_metrics[0].scope
        self.assertEqual(scope.name, "dynostatsd")
        self.assertEqual(agent.stop(), 0)
        self.assertTrue(lines(agent, r"msg=ready .*otlp"), agent.stderr())

    def test_cumulative_counters_and_histograms_keep_their_start(self):
        agent = self.start_agent(OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE="cumulative",
                                 OTEL_EXPORTER_OTLP_COMPRESSION="none", OTEL_SERVICE_NAME="checkout")
        for i in range(3):
            agent.send("otlp.cum:2|c\notlp.cumlat:%d|h" % (i + 1))
            time.sleep(1.1)
        self.otlp.wait_for(lambda: any(p.as_double == 6 for p in self.otlp.points("otlp.cum")), 10)
        points = self.otlp.points("otlp.cum")
        metric = self.otlp.metrics("otlp.cum")[0][0]
        self.assertEqual(metric.sum.aggregation_temporality, CUMULATIVE)
        self.assertEqual(len({p.start_time_unix_nano for p in points}), 1)
        values = [p.as_double for p in sorted(points, key=lambda p: p.time_unix_nano)]
        self.assertEqual(values, sorted(values))  # a running total never goes down
        self.assertEqual(values[-1], 6)
        self.otlp.wait_for(lambda: any(p.count == 3 for p in self.otlp.points("otlp.cumlat")), 10)
        hist = [p for p in self.otlp.points("otlp.cumlat") if p.count == 3][0]
        self.assertEqual((hist.sum, hist.min, hist.max), (6, 1, 3))
        self.assertEqual(len({p.start_time_unix_nano for p in self.otlp.points("otlp.cumlat")}), 1)
        self.assertEqual(self.otlp.requests_ok()[0]["headers"].get("content-encoding"), None)
        self.assertEqual(self.otlp.metrics("otlp.cum")[0][1]["service.name"], "checkout")
        self.assertEqual(agent.stop(), 0)


    def test_timestamped_points_keep_their_timestamp(self):
        agent = self.start_agent()
        stamp = int(time.time()) - 120
        agent.send("otlp.stamped:5|g|T%d\notlp.stampedc:3|c|T%d" % (stamp, stamp))
        self.otlp.wait_for(lambda: self.otlp.points("otlp.stamped") and self.otlp.points("otlp.stampedc"), 10)
        gauge = self.otlp.points("otlp.stamped")[0]
        self.assertEqual((gauge.time_unix_nano, gauge.as_double), (stamp * 10**9, 5))
        count = self.otlp.points("otlp.stampedc")[0]
        self.assertEqual((count.time_unix_nano, count.as_double), (stamp * 10**9, 3))
        self.assertEqual(count.start_time_unix_nano, (stamp - 1) * 10**9)  # T - interval
        self.assertEqual(agent.stop(), 0)


class OtlpDeliveryTest(OtlpTestCase):
    def test_429_with_retry_after_seconds_and_http_date(self):
        for form in ("seconds", "http-date"):
            with self.subTest(form=form):
                self.otlp.clear()
                agent = self.start_agent(DD_FORWARDER_BACKOFF_BASE="0.05", DD_FORWARDER_BACKOFF_MAX="0.1")
                # About 2 s from the 429 either way (the first flush is <= 1 s away).
                self.otlp.retry_after = "2" if form == "seconds" else formatdate(time.time() + 3, usegmt=True)
                self.otlp.fail(429, count=1, path="/v1/metrics")
                agent.send("otlp.throttled:1|c")
                self.wait_total("otlp.throttled", 1, timeout=20)
                records = self.otlp.records()
                refused = [r for r in records if r["status"] == 429]
                self.assertEqual(len(refused), 1)
                delivered = [r for r in self.otlp.requests_ok() if any(
                    p.as_double == 1 for rm in r["request"].resource_metrics for sm in rm.scope_metrics
                    for m in sm.metrics if m.name == "otlp.throttled" for p in m.sum.data_points)]
                self.assertEqual(len(delivered), 1)
                # Honoured: not retried before the server's ~2 s (the backoff alone would be 0.1 s).
                self.assertGreaterEqual(delivered[0]["time"] - refused[0]["time"], 0.9)
                self.assertTrue(lines(agent, r"reason=http_429 .*retry_after="))
                self.assertEqual(agent.stop(), 0)

    def test_503_for_30_seconds_then_recovery_loses_nothing(self):
        agent = self.start_agent(DD_FORWARDER_BACKOFF_MAX=8)
        self.otlp.fail(503, seconds=30, path="/v1/metrics")
        send_paced(agent, "otlp.outage:1|c", 300, 30)
        self.wait_total("otlp.outage", 300, timeout=45)
        self.assertGreaterEqual(len([r for r in self.otlp.records() if r["status"] == 503]), 5)
        self.assertTrue(lines(agent, r"reason=http_503"))
        self.assertEqual(agent.stop(), 0)

    def test_400_is_dropped_and_logged_with_the_server_message(self):
        agent = self.start_agent()
        self.otlp.fail(400, count=1, path="/v1/metrics")
        agent.send("otlp.bad:1|c")
        self.otlp.wait_for(lambda: any(r["status"] == 400 for r in self.otlp.records()), 10)
        agent.send("otlp.good:1|c")
        self.wait_total("otlp.good", 1)
        time.sleep(1.5)
        self.assertEqual([r["status"] for r in self.otlp.records()].count(400), 1)  # never retried
        self.assertEqual(self.otlp.total("otlp.bad"), 0)
        self.assertTrue(lines(agent, r"at=error stage=forward reason=http_400 .*message=\"injected fault 400\""),
                        agent.stderr())
        self.assertEqual(agent.stop(), 0)

    def test_413_splits_until_every_series_fits(self):
        self.otlp.max_body(600)
        agent = self.start_agent(OTEL_EXPORTER_OTLP_COMPRESSION="none")
        for start in range(0, 200, 50):
            agent.send("\n".join("otlp.split.%d:1|c" % i for i in range(start, start + 50)))

        def all_arrived():
            return all(self.otlp.total("otlp.split.%d" % i) >= 1 for i in range(200))

        self.assertTrue(self.otlp.wait_for(all_arrived, 30), "some series never arrived")
        self.assertTrue(any(r["status"] == 413 for r in self.otlp.records()))
        self.assertTrue(all(self.otlp.total("otlp.split.%d" % i) == 1 for i in range(200)))  # none twice
        self.assertEqual(agent.stop(), 0)

    def test_partial_success_is_logged_and_never_retried(self):
        self.otlp.partial(3, "3 points had invalid names")
        agent = self.start_agent()
        agent.send("otlp.partial:1|c")
        self.wait_total("otlp.partial", 1)
        time.sleep(1.5)
        self.assertEqual(self.otlp.total("otlp.partial"), 1)  # delivered once: not retried
        self.assertTrue(agent.wait_for_stderr(r"reason=partial_success rejected_points=3 "
                                              r"message=\"3 points had invalid names\"", 5), agent.stderr())
        self.assertEqual(agent.stop(), 0)

    def test_a_server_message_echoing_a_header_value_is_masked(self):
        agent = self.start_agent()
        self.otlp.partial(1, "token " + SECRET + " is over quota")
        agent.send("otlp.echo:1|c")
        self.assertTrue(agent.wait_for_stderr(r"reason=partial_success .*token \*\*\* is over quota", 10))
        self.assertEqual(agent.stop(), 0)  # tearDown checks that SECRET never appeared


class OtlpIsolationTest(OtlpTestCase):
    def test_datadog_otlp_and_l2met_at_once_with_otlp_refusing_for_30_seconds(self):
        datadog = FakeIntake().start()
        try:
            agent = self.start_agent(DD_API_KEY=DD_API_KEY, DD_DD_URL=datadog.url, DYNOSTATSD_LOG_METRICS="true",
                                     DD_FORWARDER_BACKOFF_MAX=4)
            self.otlp.refuse(30)
            started = time.monotonic()
            send_paced(agent, "iso.hits:1|c", 200, 20)
            # Datadog and l2met get every point on time while OTLP is down.
            datadog.wait_for(lambda: self._datadog_total(datadog) >= 200, 5)
            self.assertEqual(self._datadog_total(datadog), 200)
            self.assertLess(time.monotonic() - started, 27)
            def l2met_total():
                return sum(v for _, _, _, v in agent.entries("count", "iso.hits"))

            agent.wait_until(lambda: l2met_total() >= 200, 5)
            self.assertEqual(l2met_total(), 200)
            self.assertEqual(self.otlp.total("iso.hits"), 0)
            # OTLP catches up once the endpoint is back, nothing lost.
            self.wait_total("iso.hits", 200, timeout=40)
            self.assertTrue(lines(agent, r"sink=otlp"))
            self.assertEqual(agent.stop(), 0)
        finally:
            datadog.stop()

    @staticmethod
    def _datadog_total(datadog):
        return sum(v * s["interval"] if s["type"] == "rate" else v
                   for s in datadog.series("iso.hits") for _, v in s["points"])


class OtlpConfigTest(unittest.TestCase):
    def test_grpc_is_a_clear_configuration_error(self):
        from agentlib import run_command
        result = run_command(["check-config"], env={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317",
                                                    "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("OTEL_EXPORTER_OTLP_PROTOCOL", result.stderr + result.stdout)
        self.assertIn("grpc is not supported", result.stderr + result.stdout)

    def test_check_config_masks_header_values(self):
        from agentlib import run_command
        result = run_command(["check-config"], env={"OTEL_EXPORTER_OTLP_ENDPOINT": "https://api.honeycomb.io",
                                                    "OTEL_EXPORTER_OTLP_HEADERS": "x-honeycomb-team=" + SECRET})
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        self.assertIn("x-honeycomb-team=***", output)
        self.assertNotIn(SECRET[:16], output)
        self.assertIn("sink=otlp target=https://api.honeycomb.io/v1/metrics\n", result.stdout)
        self.assertNotIn("sink=l2met", result.stdout)  # OTLP alone: no l2met lines forced on


if __name__ == "__main__":
    unittest.main()
