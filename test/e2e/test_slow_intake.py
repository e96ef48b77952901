"""End to end: a slow but working intake loses nothing (issue 15 item 2).

The fake intake takes 2 s to answer every request while the agent receives tens of thousands of
datagrams per second over 10,000 counter contexts; every count must arrive. Before payloads were
filled to the intake's limits, 1,000-series payloads with 2 requests in flight lost 44 % of the
counts at this latency (bench/slow_intake.py measures the full 60 s / 50 k datagrams/s run).
"""

import json
import os
import socket
import tempfile
import time
import unittest

from agentlib import Agent
from fake_intake import FakeIntake

API_KEY = "e2e51ow0" + "0123456789abcdef" * 2
CONTEXTS = 10000
RATE = 20000  # datagrams per second, one counter line each
SECONDS = 20


def send_load(port, contexts, rate, seconds):
    """Paced UDP load: datagram i is `slow.c<i % contexts>:1|c`. Returns how many were sent."""
    lines = [("slow.c%05d:1|c" % i).encode() for i in range(contexts)]
    sent = 0
    start = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        target = ("127.0.0.1", port)
        total = rate * seconds
        while sent < total:
            due = min(total, int((time.monotonic() - start) * rate) + 1)
            while sent < due:
                sock.sendto(lines[sent % contexts], target)
                sent += 1
            time.sleep(0.002)
    return sent


class SlowIntakeTest(unittest.TestCase):
    def setUp(self):
        # Schema validation of 10,000-series payloads costs the Python intake seconds each; this
        # test is about delivery, and test_forward*.py validate every payload shape.
        self.tmp = tempfile.TemporaryDirectory()
        schemas = os.path.join(self.tmp.name, "no-schemas.json")
        with open(schemas, "w", encoding="utf-8") as handle:
            json.dump({"v1": {"schemas": {}}, "v2": {"schemas": {}}}, handle)
        self.intake = FakeIntake(schemas_path=schemas).start()
        self.intake.delay(2)  # every request answered after 2 s

    def tearDown(self):
        self.intake.stop()
        self.tmp.cleanup()

    def test_two_second_intake_loses_nothing(self):
        env = {"DD_API_KEY": API_KEY, "DD_DD_URL": self.intake.url, "DYNO": "web.1",
               "DYNOSTATSD_FLUSH_INTERVAL": "2", "DYNOSTATSD_VALIDATE_API_KEY": "false"}
        agent = Agent(env=env).start()
        try:
            sent = send_load(agent.udp_port, CONTEXTS, RATE, SECONDS)
            started = time.monotonic()
            self.assertEqual(agent.stop(timeout=40), 0)
            shutdown = time.monotonic() - started
        finally:
            agent.kill()
        totals = {}
        for series in self.intake.series():
            if series["metric"].startswith("slow.c"):
                totals[series["metric"]] = totals.get(series["metric"], 0.0) + sum(
                    value * series["interval"] for _, value in series["points"])
        received = sum(totals.values())
        stderr = agent.stderr()
        lost = [l for l in stderr if "payload dropped" in l or "shutdown_deadline" in l]
        self.assertEqual(lost, [], "\n".join(lost[:5]))
        self.assertEqual(len(totals), CONTEXTS)
        self.assertAlmostEqual(received, sent, delta=1e-6 * sent,
                               msg="counts lost behind a 2 s intake: %d of %d" % (sent - received, sent))
        per_context = sent // CONTEXTS
        wrong = [m for m, v in totals.items() if abs(v - per_context) > 1e-6]
        self.assertEqual(wrong, [])
        self.assertLess(shutdown, 30)
        for line in stderr:
            self.assertNotIn(API_KEY, line)


if __name__ == "__main__":
    unittest.main()
