"""The real agent, real UDP and Unix datagrams, 1 s flushes, the l2met report on stdout.

Every workload whose per-interval statistics are asserted is sent as ONE datagram, so it lands in
one bucket whatever the wall clock does; counter totals are summed over every flush (zero-filled
intervals add 0), so bucket boundaries do not matter for them.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import agentlib

DYNO_ENV = {"DYNO": "web.1", "HEROKU_APP_NAME": "shop", "DYNOSTATSD_FLUSH_INTERVAL": "1",
            "DYNOSTATSD_SHUTDOWN_GRACE": "0.3"}


class L2metOutputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A large receive buffer: test_a_flush_bigger_than_one_slice_is_complete sends 250 datagrams
        # of ~1.7 KB back to back.
        cls.agent = agentlib.Agent(env=dict(DYNO_ENV, DD_DOGSTATSD_SO_RCVBUF=str(8 << 20))).start()

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()

    def test_exact_aggregates_in_one_bucket(self):
        self.agent.send("\n".join([
            "e2e.views:1|c|@0.5",         # 1 / 0.5 = 2
            "e2e.views:2|c",              # + 2 = 4 per interval
            "e2e.depth:3|g",
            "e2e.depth:7|g",              # last value wins
            "e2e.users:alice|s",
            "e2e.users:bob|s",
            "e2e.users:alice|s",          # 2 distinct
            "e2e.lat:10|h",
            "e2e.lat:20|h",
            "e2e.lat:30:40|ms",           # packed values, timer = histogram
        ]))
        self.assertTrue(self.agent.wait_for_metric("sample", "e2e.lat.max"), self.agent.stderr())
        self.assertEqual(self.agent.samples("e2e.depth"), [7.0])
        self.assertEqual(self.agent.samples("e2e.users"), [2.0])
        self.assertEqual(self.agent.samples("e2e.lat.max"), [40.0])
        self.assertEqual(self.agent.samples("e2e.lat.median"), [20.0])
        self.assertEqual(self.agent.samples("e2e.lat.avg"), [25.0])
        self.assertEqual(self.agent.samples("e2e.lat.95percentile"), [40.0])
        self.assertEqual(self.agent.samples("e2e.lat.max"), [40.0])
        self.assertEqual(self.agent.total("e2e.lat.count"), 4.0)
        self.assertEqual(self.agent.total("e2e.views"), 4.0)
        # The dyno is the source; its static tags are implied, not repeated in tags=.
        lines = [l for l in self.agent.stdout() if "e2e.depth" in l]
        self.assertEqual(len(lines), 1)
        fields, _ = agentlib.parse_l2met(lines[0])
        self.assertEqual(fields["source"], "web.1")
        self.assertNotIn("tags", fields)

    def test_nc_datagram_appears_with_its_tags_in_the_next_flush(self):
        # `nc -u -w0` exits before it has read stdin about 1 time in 8 (measured here: 26 of 30 sent);
        # `-q0` quits right after stdin's EOF, once the datagram is out.
        sent = time.monotonic()
        subprocess.run(["nc", "-u", "-w1", "-q0", "127.0.0.1", str(self.agent.udp_port)],
                       input=b"nc.page.views:1|c|#env:prod", check=True, timeout=10)
        found = self.agent.wait_for_metric("count", "nc.page.views", tags="env:prod", timeout=5)
        self.assertTrue(found, "\n".join(self.agent.stdout()[-20:]))
        self.assertLess(time.monotonic() - sent, 2.5)  # within the next 1 s flush (+ offset)
        fields, kind, name, value = found[0]
        self.assertEqual((fields["source"], kind, name, value), ("web.1", "count", "nc.page.views", 1.0))

    def test_tag_sets_get_their_own_lines_and_order_does_not_split(self):
        self.agent.send("e2e.route:1|c|#route:/a,env:prod\ne2e.route:1|c|#env:prod,route:/a\ne2e.route:5|c|#route:/b")
        self.assertTrue(self.agent.wait_for_metric("count", "e2e.route", tags="route:/b"))
        self.agent.wait_until(lambda: self.agent.entries("count", "e2e.route", "env:prod,route:/a"))
        self.assertEqual(self.agent.total("e2e.route", tags="env:prod,route:/a"), 2.0)
        self.assertEqual(self.agent.total("e2e.route", tags="route:/b"), 5.0)

    def test_a_flush_bigger_than_one_slice_is_complete(self):
        # 25,000 contexts: the agent flushes in slices of 2,500 series; every one must be printed.
        names = ["slice.g%05d" % i for i in range(25000)]
        for start in range(0, len(names), 100):
            self.agent.send("\n".join("%s:%d|g" % (n, i) for i, n in enumerate(names[start:start + 100], start)))
        self.assertTrue(self.agent.wait_until(
            lambda: len({n for _, _, n, _ in self.agent.entries("sample") if n.startswith("slice.")}) == 25000,
            timeout=15), "not every context was printed")
        values = {n: v for _, _, n, v in self.agent.entries("sample") if n.startswith("slice.")}
        self.assertEqual(values["slice.g00000"], 0.0)
        self.assertEqual(values["slice.g24999"], 24999.0)
        self.assertTrue(all(len(l) <= 1000 for l in self.agent.stdout()))

    def test_parse_errors_are_counted_per_reason_and_logged(self):
        self.agent.send("e2e.nopipe\ne2e.badtype:1|zz\ne2e.fine:1|c\n_sc|only")
        self.assertTrue(self.agent.wait_for_metric("count", "e2e.fine"))
        self.assertTrue(self.agent.wait_until(
            lambda: self.agent.total("dynostatsd.parse_errors.bad_metric_type") >= 1, timeout=5))
        self.assertGreaterEqual(self.agent.total("dynostatsd.parse_errors.no_pipe"), 1)
        self.assertGreaterEqual(self.agent.total("dynostatsd.parse_errors.service_check_bad_format"), 1)
        logged = self.agent.wait_for_stderr(r"stage=ingest reason=\w+ kind=\w+ sample=")
        self.assertTrue(logged, self.agent.stderr())

    def test_events_and_service_checks_get_their_own_lines(self):
        self.agent.send("_e{9,5}:e2e.title|hello|t:success|#team:core")
        self.agent.send("_sc|e2e.db.up|2|m:no route")
        self.assertTrue(self.agent.wait_until(lambda: [l for l in self.agent.stdout() if "check=e2e.db.up" in l]))
        self.assertTrue(self.agent.wait_until(lambda: [l for l in self.agent.stdout() if "title=e2e.title" in l]))
        check = [l for l in self.agent.stdout() if "check=e2e.db.up" in l][0]
        self.assertEqual(check, 'source=web.1 check=e2e.db.up status=critical message="no route"')
        event = [l for l in self.agent.stdout() if "title=e2e.title" in l][0]
        self.assertEqual(event, "source=web.1 event title=e2e.title text=hello alert_type=success "
                                "priority=normal tags=team:core")


class TransportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dynostatsd-e2e-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_unix_datagram_socket(self):
        path = os.path.join(self.tmp, "dsd.socket")
        agent = agentlib.Agent(env=dict(DYNO_ENV, DD_DOGSTATSD_SOCKET=path)).start()
        try:
            self.assertIn("socket=" + path, agent.ready_line)
            agent.send_unix(path, "uds.hits:3|c|#via:uds\nuds.depth:9|g")
            self.assertTrue(agent.wait_for_metric("sample", "uds.depth"), agent.stderr())
            self.assertEqual(agent.samples("uds.depth"), [9.0])
            agent.wait_until(lambda: agent.entries("count", "uds.hits", "via:uds"))
            self.assertEqual(agent.total("uds.hits", tags="via:uds"), 3.0)
        finally:
            self.assertEqual(agent.stop(), 0)
        self.assertFalse(os.path.exists(path), "socket file left behind")

    def test_truncated_datagram_is_counted_not_parsed(self):
        agent = agentlib.Agent(env=dict(DYNO_ENV, DD_DOGSTATSD_BUFFER_SIZE="64")).start()
        try:
            agent.send("long.metric:1|c|#" + ",".join("tag%d:value" % i for i in range(20)))
            agent.send("short.metric:1|c")
            self.assertTrue(agent.wait_for_metric("count", "short.metric"))
            self.assertTrue(agent.wait_until(lambda: agent.total("dynostatsd.datagrams.truncated") == 1, 5))
            self.assertTrue(agent.wait_for_stderr(r"reason=truncated_datagram received=64"))
            self.assertEqual(agent.entries(name="long.metric"), [])
        finally:
            self.assertEqual(agent.stop(), 0)
        self.assertEqual(agent.total("dynostatsd.datagrams.truncated"), 1.0)

    def test_loopback_by_default_all_interfaces_only_when_asked(self):
        agent = agentlib.Agent(env=DYNO_ENV).start()
        self.assertEqual(agent.udp_host, "127.0.0.1")
        agent.stop()
        agent = agentlib.Agent(env=dict(DYNO_ENV, DD_DOGSTATSD_NON_LOCAL_TRAFFIC="true")).start()
        try:
            self.assertEqual(agent.udp_host, "0.0.0.0")
            agent.send("nonlocal.hits:1|c")
            self.assertTrue(agent.wait_for_metric("count", "nonlocal.hits"))
        finally:
            self.assertEqual(agent.stop(), 0)

    def test_port_0_disables_udp_when_a_socket_is_set(self):
        path = os.path.join(self.tmp, "only.socket")
        agent = agentlib.Agent(env=dict(DYNO_ENV, DD_DOGSTATSD_SOCKET=path, DD_DOGSTATSD_PORT="0")).start()
        try:
            self.assertIn(" udp=off socket=" + path, agent.ready_line)
            agent.send_unix(path, "only.uds:1|g")
            self.assertTrue(agent.wait_for_metric("sample", "only.uds"))
        finally:
            self.assertEqual(agent.stop(), 0)


class ShutdownTest(unittest.TestCase):
    def test_sigterm_flushes_every_datagram_including_the_open_bucket(self):
        env = dict(DYNO_ENV, DYNOSTATSD_FLUSH_INTERVAL="10", DYNOSTATSD_SHUTDOWN_GRACE="0.5")
        agent = agentlib.Agent(env=env).start()
        for i in range(200):
            agent.send("final.count:1|c\nfinal.gauge:%d|g" % i)
        started = time.monotonic()
        agent.signal(signal.SIGTERM)
        # Sent during the grace period: still received and flushed.
        time.sleep(0.1)
        agent.send("grace.count:5|c")
        rc = agent.wait(10)
        elapsed = time.monotonic() - started
        self.assertEqual(rc, 0, agent.stderr())
        self.assertLess(elapsed, 2.5)
        self.assertEqual(agent.total("final.count"), 200.0)
        self.assertEqual(agent.samples("final.gauge")[-1], 199.0)
        self.assertEqual(agent.total("grace.count"), 5.0)
        self.assertTrue(any("msg=stopped" in l for l in agent.stderr()))

    def test_repeated_sigterm_is_harmless(self):
        agent = agentlib.Agent(env=dict(DYNO_ENV, DYNOSTATSD_SHUTDOWN_GRACE="0.5")).start()
        agent.send("twice.count:2|c")
        agent.signal(signal.SIGTERM)
        time.sleep(0.05)
        agent.signal(signal.SIGTERM)
        agent.signal(signal.SIGINT)
        rc = agent.wait(10)
        self.assertEqual(rc, 0, agent.stderr())
        self.assertEqual(agent.total("twice.count"), 2.0)
        self.assertEqual(len([l for l in agent.stderr() if "already shutting down" in l]), 2)
        self.assertEqual(len([l for l in agent.stderr() if "msg=stopped" in l]), 1)

    def test_sigterm_with_zero_grace_exits_at_once(self):
        agent = agentlib.Agent(env=dict(DYNO_ENV, DYNOSTATSD_SHUTDOWN_GRACE="0")).start()
        agent.send("zero.count:1|c")
        agent.wait_until(lambda: False, timeout=0.2)  # let the datagram arrive
        started = time.monotonic()
        agent.signal(signal.SIGTERM)
        self.assertEqual(agent.wait(10), 0)
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertEqual(agent.total("zero.count"), 1.0)


class BrokenStdoutTest(unittest.TestCase):
    def test_a_closed_stdout_does_not_stop_the_agent(self):
        tmp = tempfile.mkdtemp(prefix="dynostatsd-e2e-")
        port = agentlib.free_udp_port()
        env = agentlib.clean_env(dict(DYNO_ENV, DD_DOGSTATSD_PORT=str(port)))
        proc = subprocess.Popen([agentlib.binary(), "run"], env=env, cwd=tmp, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            proc.stdout.close()  # every l2met write now fails with EPIPE
            ready = proc.stderr.readline().decode()
            self.assertIn("msg=ready", ready)
            sender = agentlib.Agent(env={})
            sender.udp_port = port
            for _ in range(3):
                sender.send("broken.stdout:1|c")
                time.sleep(1.1)  # three flushes with something to print
            self.assertIsNone(proc.poll(), "the agent died")
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(10), 0)
            self.assertIn("msg=stopped", proc.stderr.read().decode())
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
