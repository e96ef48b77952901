"""Memory footprint: what the real agent maps and holds, read from /proc/<pid>.

The agent forwards with its own HTTP client, which opens libssl with dlopen() at the first
https:// request; libcurl (and the TLS, Kerberos, LDAP... libraries it pulls in) is opened only
when the agent picks it (a proxy variable, DYNOSTATSD_HTTP_CLIENT=curl, no libssl.so.3), so an
agent without an API key maps neither; libstdc++ is linked statically.
"""

import os
import re
import subprocess
import time
import unittest

from agentlib import Agent, binary
from fake_intake import FakeIntake

API_KEY = "0123456789abcdef0123456789abcdef"
# Libraries only libcurl brings in (never needed by the agent's own code).
CURL_STACK = ("libcurl", "libssl", "libcrypto", "libgnutls", "libkrb5", "libldap", "libssh2", "libnghttp2")


def mapped_libraries(pid):
    names = set()
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[5].startswith("/"):
                names.add(os.path.basename(parts[5]))
    return names


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def sanitized():
    return "libasan" in subprocess.run(["ldd", binary()], capture_output=True, text=True).stdout


class MemoryTest(unittest.TestCase):
    def setUp(self):
        self.agents = []

    def tearDown(self):
        for agent in self.agents:
            if agent.proc and agent.proc.poll() is None:
                agent.stop()

    def start(self, **env):
        base = {"DYNO": "web.1", "HEROKU_APP_NAME": "myapp", "DYNOSTATSD_FLUSH_INTERVAL": "1"}
        base.update({k: str(v) for k, v in env.items()})
        agent = Agent(env=base).start()
        self.agents.append(agent)
        return agent

    def test_binary_needs_neither_libcurl_nor_libstdcxx(self):
        dynamic = subprocess.run(["readelf", "-d", binary()], capture_output=True, text=True, check=True).stdout
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)
        self.assertIn("libuv.so.1", needed)
        self.assertFalse([n for n in needed if n.startswith("libcurl")], needed)
        if not sanitized():
            self.assertFalse([n for n in needed if n.startswith(("libstdc++", "libgcc_s"))], needed)

    def test_log_only_agent_maps_no_curl_and_stays_small(self):
        agent = self.start()
        agent.send("page.views:1|c")
        agent.wait_for_metric("count", "page.views")
        libs = mapped_libraries(agent.proc.pid)
        self.assertEqual([l for l in libs if l.startswith(CURL_STACK)], [], sorted(libs))
        if not sanitized():
            anon = status_kb(agent.proc.pid, "RssAnon")
            rss = status_kb(agent.proc.pid, "VmRSS")
            print(f"log-only agent after one flush: VmRSS={rss} kB RssAnon={anon} kB")
            # 1.4 MB measured (heap, stacks, the receive slots); 3 MB leaves room, 8 MB would be a leak.
            self.assertLess(anon, 3 * 1024)

    def test_forwarding_agent_delivers_over_http_without_curl_or_openssl(self):
        intake = FakeIntake().start()
        try:
            agent = self.start(DD_API_KEY=API_KEY, DD_DD_URL=intake.url)
            agent.send("page.views:3|c")
            intake.wait_for(lambda: intake.series("page.views"), timeout=15)
            libs = mapped_libraries(agent.proc.pid)
            # http:// only: the native client needs no TLS library at all.
            self.assertEqual([l for l in libs if l.startswith(CURL_STACK)], [], sorted(libs))
            self.assertEqual(agent.stop(), 0)
            self.assertTrue([l for l in agent.stderr() if "http_client=native" in l])
        finally:
            intake.stop()

    def test_curl_client_loads_curl_and_delivers(self):
        intake = FakeIntake().start()
        try:
            agent = self.start(DD_API_KEY=API_KEY, DD_DD_URL=intake.url, DYNOSTATSD_HTTP_CLIENT="curl")
            agent.send("page.views:3|c")
            intake.wait_for(lambda: intake.series("page.views"), timeout=15)
            libs = mapped_libraries(agent.proc.pid)
            self.assertTrue([l for l in libs if l.startswith("libcurl.so.4")], sorted(libs))
            self.assertEqual(agent.stop(), 0)
            self.assertFalse([l for l in agent.stderr() if "libcurl_unavailable" in l])
            self.assertTrue([l for l in agent.stderr() if "http_client=curl reason=configured" in l])
        finally:
            intake.stop()


if __name__ == "__main__":
    unittest.main()
