"""End to end: the real agent against a failing intake — retries, splits, drops, logs."""

import re
import time
import unittest

import test_forward as base

BAD_KEY = "bad0beef" + "fedcba9876543210" * 2  # 40 characters, answered 403 by the intake


def send_paced(agent, line, count, seconds):
    """Sends `line` `count` times spread over `seconds` (one datagram each)."""
    start = time.monotonic()
    for i in range(count):
        agent.send(line)
        delay = start + seconds * (i + 1) / count - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def lines(agent, pattern):
    regex = re.compile(pattern)
    return [line for line in agent.stderr() if regex.search(line)]


class ForwardFaultsTest(base.ForwardTestCase):
    intake_kwargs = {"bad_keys": ("bad", BAD_KEY)}

    def test_503_for_30_seconds_then_recovery_loses_nothing(self):
        agent = self.start_agent(DD_FORWARDER_BACKOFF_MAX=8)
        self.intake.fail(503, seconds=30, path="/api/v2/series")
        send_paced(agent, "fwd.outage:1|c", 300, 30)
        self.wait_total("fwd.outage", 300, timeout=40)
        failed = [r for r in self.intake.records() if r["status"] == 503]
        self.assertGreaterEqual(len(failed), 5)
        self.assertTrue(lines(agent, r"at=warn stage=forward reason=http_503 endpoint=series_v2 attempts=\d+ "
                                     r"retry_in=\d+\.\ds"))
        self.assertEqual(lines(agent, r"payload dropped"), [])
        self.assertEqual(agent.stop(), 0)

    def test_429_is_retried(self):
        agent = self.start_agent()
        self.intake.fail(429, count=3, path="/api/v2/series")
        send_paced(agent, "fwd.throttled:1|c", 20, 2)
        self.wait_total("fwd.throttled", 20, timeout=30)
        self.assertEqual(len([r for r in self.intake.records() if r["status"] == 429]), 3)
        self.assertTrue(lines(agent, r"reason=http_429"))
        self.assertEqual(agent.stop(), 0)

    def test_413_splits_until_every_series_fits(self):
        self.intake.max_body(800)
        agent = self.start_agent()
        for start in range(0, 300, 50):
            agent.send("\n".join("fwd.split.%d:1|c" % i for i in range(start, start + 50)))

        def all_arrived():
            return all(self.counter_total("fwd.split.%d" % i) >= 1 for i in range(300))

        self.assertTrue(self.intake.wait_for(all_arrived, 30), "some series never arrived")
        agent.stop()
        for i in range(300):
            self.assertEqual(self.counter_total("fwd.split.%d" % i), 1, "series %d" % i)
        self.assertTrue([r for r in self.intake.records() if r["status"] == 413])
        for record in self.intake.accepted("/api/v2/series"):
            self.assertLessEqual(record["body_bytes"], 800)
        self.assertTrue(lines(agent, r"reason=http_413 endpoint=series_v2 items=\d+ msg=\"payload too large"))

    def test_400_drops_the_payload_logs_the_answer_and_carries_on(self):
        # No self-metrics nor dyno metrics: the first series payload must be the one holding
        # fwd.rejected, or the injected 400 would hit an earlier flush of the agent's own series
        # (seen on a loaded host, where the datagram landed one interval after the first flush).
        agent = self.start_agent(DYNOSTATSD_SELF_METRICS="false", DYNOSTATSD_DYNO_METRICS="false")
        self.intake.fail(400, count=1, path="/api/v2/series")
        agent.send("fwd.rejected:1|c")
        self.assertTrue(self.intake.wait_for(lambda: [r for r in self.intake.records() if r["status"] == 400], 10))
        time.sleep(1.5)  # the next flush interval, on purpose: a fresh bucket
        agent.send("fwd.after:1|c")
        self.wait_total("fwd.after", 1)
        logged = lines(agent, r"at=error stage=forward reason=http_400 endpoint=series_v2 ")
        self.assertEqual(len(logged), 1)
        self.assertIn(r'response="{\"errors\": [\"injected fault 400\"]}"', logged[0])
        self.assertEqual(self.counter_total("fwd.rejected"), 0)  # dropped, never resent: 400 is final
        self.assertEqual(agent.stop(), 0)

    def test_403_logs_one_clear_line_with_the_key_masked(self):
        agent = self.start_agent(DD_API_KEY=BAD_KEY)
        for _ in range(3):
            agent.send("fwd.forbidden:1|c")
            time.sleep(1.1)
        self.assertTrue(self.intake.wait_for(
            lambda: len([r for r in self.intake.records() if r["status"] == 403]) >= 3, 10))
        agent.stop()
        logged = lines(agent, r"reason=http_403")
        self.assertEqual(len(logged), 1, logged)
        self.assertIn("api_key=***3210", logged[0])
        self.assertIn("check DD_API_KEY and DD_SITE", logged[0])
        self.assertEqual(self.intake.accepted("/api/v2/series"), [])
        for line in agent.stderr() + agent.stdout():
            self.assertNotIn(BAD_KEY, line)
            self.assertNotIn(BAD_KEY[:20], line)

    def test_slow_responses_within_the_timeout_are_just_slow(self):
        agent = self.start_agent()
        self.intake.delay(2, count=2, path="/api/v2/series")
        send_paced(agent, "fwd.slow:1|c", 10, 1)
        self.wait_total("fwd.slow", 10, timeout=20)
        self.assertEqual(lines(agent, r"reason=timeout"), [])
        self.assertEqual(agent.stop(), 0)

    def test_a_response_slower_than_the_timeout_is_retried(self):
        agent = self.start_agent(DD_FORWARDER_TIMEOUT=1, DD_FORWARDER_BACKOFF_MAX=2)
        self.intake.delay(3, count=1, path="/api/v2/series")
        agent.send("fwd.timeout:1|c")
        # At least once: the intake may also have kept the timed-out copy.
        self.intake.wait_for(lambda: len(self.intake.series_points("fwd.timeout")) >= 2, 20)
        self.assertTrue(lines(agent, r"reason=timeout endpoint=series_v2"))
        self.assertIn(self.counter_total("fwd.timeout"), (1, 2))
        self.assertEqual(agent.stop(), 0)

    def test_refused_connections_are_retried_until_the_intake_is_back(self):
        agent = self.start_agent(DD_FORWARDER_BACKOFF_MAX=4)
        agent.send("fwd.refused:1|c")
        self.wait_total("fwd.refused", 1)
        self.intake.refuse(5)
        send_paced(agent, "fwd.refused:1|c", 40, 4)
        self.wait_total("fwd.refused", 41, timeout=30)
        self.assertTrue(lines(agent, r"reason=connect endpoint=series_v2"))
        self.assertEqual(agent.stop(), 0)

    def test_shutdown_deadline_reports_what_was_not_delivered(self):
        agent = self.start_agent(DYNOSTATSD_SHUTDOWN_DEADLINE=2)
        self.intake.fail(503, path="/api/v2/series")  # never recovers
        agent.send("fwd.lost:1|c")
        started = time.monotonic()
        self.assertEqual(agent.stop(), 0)
        self.assertLess(time.monotonic() - started, 10)
        logged = lines(agent, r"reason=shutdown_deadline undelivered_payloads=[1-9]\d* undelivered_items=[1-9]")
        self.assertEqual(len(logged), 1)


if __name__ == "__main__":
    unittest.main()
