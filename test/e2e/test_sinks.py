"""End to end: several sinks at once, each with its own queue.

Datadog and l2met run together while the Datadog intake refuses connections: the l2met lines keep
coming every flush, on time, and once the intake is back Datadog catches up with everything that
waited in its queue. The ready line and check-config list both sinks.
"""

import re
import time
import unittest

from agentlib import Agent, run_command
from fake_intake import FakeIntake

API_KEY = "e2e5inks" + "0123456789abcdef" * 2


class SinkIsolationTest(unittest.TestCase):
    def setUp(self):
        self.intake = FakeIntake().start()

    def tearDown(self):
        self.intake.stop()

    def test_a_dead_intake_never_delays_l2met_and_catches_up_after(self):
        env = {"DD_API_KEY": API_KEY, "DD_DD_URL": self.intake.url, "DYNO": "web.1",
               "DYNOSTATSD_FLUSH_INTERVAL": "1", "DYNOSTATSD_LOG_METRICS": "true",
               "DYNOSTATSD_VALIDATE_API_KEY": "false"}
        agent = Agent(env=env).start()
        try:
            self.assertIn("output=datadog+l2met", agent.ready_line)
            self.assertIn("l2met=stdout", agent.ready_line)
            self.intake.refuse(6)
            sent_at = {}
            for i in range(4):
                agent.send("iso.hits:1|c|#round:%d" % i)
                sent_at[i] = time.monotonic()
                time.sleep(1)
            # l2met: every round printed within ~2 flushes of being sent, while Datadog is down.
            for i in range(4):
                line = agent.wait_until(
                    lambda i=i: any(re.search(r"tags=round:%d count#iso\.hits=1\b" % i, l) for l in agent.stdout()),
                    timeout=5)
                self.assertTrue(line, "l2met round %d missing:\n%s" % (i, "\n".join(agent.stdout()[-10:])))
            self.assertTrue(any("reason=connect" in l and "sink=datadog" in l for l in agent.stderr()))
            # Datadog: everything arrives once the intake is back (backoff at most 4-8 s here).
            def rounds():
                got = set()
                for s in self.intake.series("iso.hits"):
                    for tag in s["tags"]:
                        if tag.startswith("round:") and any(v for _, v in s["points"]):
                            got.add(tag)
                return got
            self.assertTrue(self.intake.wait_for(lambda: len(rounds()) == 4, 30), rounds())
        finally:
            agent.stop()
        for line in agent.stderr() + agent.stdout():
            self.assertNotIn(API_KEY, line)

    def test_check_config_lists_the_active_sinks_without_secrets(self):
        result = run_command(["check-config"], env={"DD_API_KEY": API_KEY,
                                                 "DD_DD_URL": "https://user:pw0rd@proxy.example/",
                                                 "DYNOSTATSD_LOG_METRICS": "true"})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("sink=datadog target=https://***@proxy.example\n", result.stdout)
        self.assertIn("sink=l2met target=stdout\n", result.stdout)
        # (The dd_url setting line itself is masked by the secret-masking work of issue 15 item 4.)
        for line in result.stdout.splitlines():
            if line.startswith("sink="):
                self.assertNotIn("pw0rd", line)
        self.assertNotIn(API_KEY, result.stdout)


if __name__ == "__main__":
    unittest.main()
