"""The Graphite sink against a real carbon-cache: values read back from its whisper files.

The agent flushes every second into carbon's 1 s retention, so every bucket is its own whisper
slot. Each workload whose per-bucket statistics are asserted is sent as ONE datagram, so it lands
in one bucket; totals are summed over every bucket.
"""

import math
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

import agentlib
import carbonlib

DYNO_TAGS = {"dyno": "web.1", "dynotype": "web", "appname": "shop"}
ENV = {"DYNO": "web.1", "HEROKU_APP_NAME": "shop", "DYNOSTATSD_FLUSH_INTERVAL": "1",
       "DYNOSTATSD_SHUTDOWN_GRACE": "0.3", "DYNOSTATSD_SELF_METRICS": "false", "DYNOSTATSD_SHUTDOWN_DEADLINE": "3"}


def tagged(path, **tags):
    merged = dict(DYNO_TAGS, **tags)
    return path + "".join(";%s=%s" % (k, merged[k]) for k in sorted(merged))


def total(points):
    return sum(points.values())


@unittest.skipUnless(carbonlib.available(), "graphite-carbon / python3-whisper not installed")
class GraphiteCarbonTest(unittest.TestCase):
    def setUp(self):
        self.carbon = carbonlib.Carbon().start()
        self.agents = []

    def tearDown(self):
        for agent in self.agents:
            agent.kill()
        self.carbon.cleanup()

    def start(self, **extra):
        env = dict(ENV, DYNOSTATSD_GRAPHITE_URL=self.carbon.url)
        env.update(extra)
        agent = agentlib.Agent(env=env).start()
        self.agents.append(agent)
        return agent

    def test_every_type_with_etsy_names_and_exact_values(self):
        agent = self.start(DD_TAGS="team:core", DYNOSTATSD_GRAPHITE_PERCENTILES="90 99.9")
        self.assertIn("graphite=tcp://127.0.0.1:%d" % self.carbon.port, agent.ready_line)
        agent.send("\n".join([
            "g.views:1|c|@0.5",          # 1 / 0.5 = 2
            "g.views:2|c",               # + 2 = 4 in the interval
            "g.depth:3|g",
            "g.depth:-7.5|g|#env:prod",  # another series (tagged)
            "g.users:alice|s",
            "g.users:bob|s",
            "g.users:alice|s",
            "g.lat:1:2:3:4:5:6:7:8:9:10|ms|@0.5",  # 10 samples, count 20 after the rate
            "g.size:5|h",
            "g.dist:7|d",
            "g/path with spaces:1|g",    # Etsy's sanitiser: g-path_with_spaces
        ]))
        team = {"team": "core"}
        views = self.carbon.wait_points(tagged("stats.counters.g.views.count", **team),
                                        lambda p: 4.0 in p.values())
        self.assertEqual(sorted(views.values())[-1], 4.0, views)
        (ts,) = [t for t, v in views.items() if v == 4.0]
        self.assertEqual(set(v for t, v in views.items() if t != ts), {0.0} if len(views) > 1 else set())
        at = lambda name, **tags: self.carbon.wait_points(tagged(name, **dict(team, **tags)),
                                                          lambda p: ts in p).get(ts)
        self.assertEqual(at("stats.counters.g.views.rate"), 4.0)  # per second, 1 s interval
        self.assertEqual(at("stats.gauges.g.depth"), 3.0)
        self.assertEqual(at("stats.gauges.g.depth", env="prod"), -7.5)
        self.assertEqual(at("stats.sets.g.users.count"), 2.0)
        self.assertEqual(at("stats.gauges.g-path_with_spaces"), 1.0)
        lat = "stats.timers.g.lat."
        self.assertEqual(at(lat + "count"), 20.0)
        self.assertEqual(at(lat + "count_ps"), 20.0)
        self.assertEqual(at(lat + "lower"), 1.0)
        self.assertEqual(at(lat + "upper"), 10.0)
        self.assertEqual(at(lat + "sum"), 55.0)
        self.assertEqual(at(lat + "sum_squares"), 385.0)
        self.assertEqual(at(lat + "mean"), 5.5)
        self.assertEqual(at(lat + "median"), 5.5)
        self.assertAlmostEqual(at(lat + "std"), math.sqrt(8.25), places=9)
        self.assertEqual(at(lat + "count_90"), 9.0)
        self.assertEqual(at(lat + "upper_90"), 9.0)
        self.assertEqual(at(lat + "mean_90"), 5.0)
        self.assertEqual(at(lat + "sum_90"), 45.0)
        self.assertEqual(at(lat + "sum_squares_90"), 285.0)
        self.assertEqual(at(lat + "count_99_9"), 10.0)
        self.assertEqual(at(lat + "upper_99_9"), 10.0)
        # h and d are timers here (Etsy statsd would have counted them)
        self.assertEqual(at("stats.timers.g.size.count"), 1.0)
        self.assertEqual(at("stats.timers.g.size.upper"), 5.0)
        self.assertEqual(at("stats.timers.g.dist.mean"), 7.0)
        # Idle counters keep sending 0 while zero-filled: later buckets hold zeros, not gaps.
        later = self.carbon.wait_points(tagged("stats.counters.g.views.count", **team),
                                        lambda p: len([t for t in p if t > ts]) >= 2)
        self.assertEqual([later[t] for t in sorted(later) if t > ts][:2], [0.0, 0.0])
        self.assertEqual(agent.stop(), 0)

    def test_path_mode_puts_the_dyno_in_the_path_and_drops_tags(self):
        agent = self.start(DYNOSTATSD_GRAPHITE_TAGS="path", DYNOSTATSD_GRAPHITE_PREFIX="myapp")
        agent.send("p.views:3|c|#env:prod\np.depth:9|g")
        views = self.carbon.wait_points("myapp.web_1.counters.p.views.count")
        self.assertEqual(total(views), 3.0)
        self.assertEqual(list(self.carbon.wait_points("myapp.web_1.gauges.p.depth").values()), [9.0])
        self.assertEqual(agent.stop(), 0)
        self.assertFalse(os.path.exists(os.path.join(self.carbon.whisper, "_tagged")))

    def test_carbon_restart_mid_run_loses_nothing(self):
        agent = self.start()
        name = tagged("stats.counters.r.ticks.count")
        sent = 0
        stop = threading.Event()

        def sender():
            nonlocal sent
            while not stop.is_set():
                agent.send("r.ticks:1|c")
                sent += 1
                time.sleep(0.02)

        thread = threading.Thread(target=sender)
        thread.start()
        try:
            self.carbon.wait_points(name, lambda p: total(p) > 0)
            # Stop carbon halfway between two flushes, keep it down for 2.5 s, start it again.
            time.sleep(1.5 - time.time() % 1)
            self.carbon.stop()
            time.sleep(2.5)
            self.carbon.start()
            agent.wait_for_stderr(r"stage=graphite msg=connected", timeout=10)
            time.sleep(1.5)
        finally:
            stop.set()
            thread.join()
        self.assertEqual(agent.stop(), 0)  # the final flush carries the open bucket
        points = self.carbon.wait_points(name, lambda p: total(p) >= sent)
        self.assertEqual(total(points), sent)
        self.assertTrue(any("reason=closed_by_peer" in l or "connection refused" in l for l in agent.stderr()))
        self.assertGreaterEqual(len([l for l in agent.stderr() if "msg=connected" in l]), 2)

    def test_final_flush_at_sigterm_is_written_and_the_connection_closed_cleanly(self):
        agent = self.start(DYNOSTATSD_SHUTDOWN_GRACE="0.2")
        agent.send("f.last:42|g\nf.count:5|c")
        agent.signal()
        started = time.monotonic()
        self.assertEqual(agent.wait(15), 0)
        self.assertLess(time.monotonic() - started, 3)
        self.assertEqual(list(self.carbon.wait_points(tagged("stats.gauges.f.last")).values()), [42.0])
        self.assertEqual(total(self.carbon.wait_points(tagged("stats.counters.f.count.count"))), 5.0)
        self.assertTrue(self.carbon.wait_points(tagged("stats.gauges.f.last")))
        deadline = time.monotonic() + 5
        while "closed cleanly" not in self.carbon.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn("closed cleanly", self.carbon.log())

    def test_hosted_graphite_key_prefixes_every_path_and_never_shows(self):
        key = "abcd1234-secret-key"
        agent = self.start(HOSTEDGRAPHITE_APIKEY=key)
        agent.send("hg.views:2|c")
        self.assertEqual(total(self.carbon.wait_points(tagged(key + ".stats.counters.hg.views.count"))), 2.0)
        self.assertEqual(agent.stop(), 0)
        self.assertFalse([l for l in agent.stdout() + agent.stderr() if key in l])

    def test_events_and_service_checks_are_counted_unsupported(self):
        agent = self.start(DYNOSTATSD_SELF_METRICS="true")
        agent.send("_e{2,2}:ti|tx\n_sc|db|0\ne.x:1|c")
        name = tagged("stats.counters.dynostatsd.sink.dropped.count", reason="unsupported_by_sink",
                      message_type="event", sink="graphite")
        self.assertEqual(total(self.carbon.wait_points(name, lambda p: total(p) >= 1)), 1.0)
        self.assertEqual(agent.stop(), 0)


DROPPED = "dynostatsd.sink.dropped.graphite.buffer_full"  # l2met spells the tags into the name


class GraphiteStalledTest(unittest.TestCase):
    """A carbon that accepts the connection and never reads: ingest and the other sinks go on, the
    queue stays within its byte bound (oldest dropped, counted), and shutdown ends at the deadline."""

    def test_a_stalled_carbon_never_blocks_ingest(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        conns = []
        threading.Thread(target=lambda: conns.append(listener.accept()[0]), daemon=True).start()
        env = dict(ENV, DYNOSTATSD_GRAPHITE_URL="tcp://127.0.0.1:%d" % listener.getsockname()[1],
                   DYNOSTATSD_GRAPHITE_BUFFER="65536", DYNOSTATSD_LOG_METRICS="true",
                   DYNOSTATSD_SELF_METRICS="true", DYNOSTATSD_SHUTDOWN_DEADLINE="1")
        try:
            with agentlib.Agent(env=env) as agent:
                sent = 0
                deadline = time.monotonic() + 4
                while time.monotonic() < deadline:  # ~4 s of 2000 contexts: far more than the socket takes
                    for start in range(0, 2000, 50):
                        agent.send("\n".join("s.ctx.%d:1|c|#k:%d" % (i, i) for i in range(start, start + 50)))
                    sent += 1
                    time.sleep(0.05)
                agent.wait_until(lambda: agent.total(DROPPED) > 0, 10)
                agent.signal()
                started = time.monotonic()
                self.assertEqual(agent.wait(15), 0)
                self.assertLess(time.monotonic() - started, 1 + 0.3 + 2 + 1.5)  # grace + deadline + close
            # every sample was aggregated locally (l2met) despite the stalled Graphite connection
            self.assertEqual(agent.total("s.ctx.7", "k:7"), sent)
            self.assertGreater(agent.total(DROPPED), 0)
            # no flush waited for the stalled socket
            self.assertLess(max(agent.samples("dynostatsd.flush.duration_ms")), 500)
        finally:
            for conn in conns:
                conn.close()
            listener.close()


class GraphiteConfigTest(unittest.TestCase):
    def test_hosted_graphite_key_alone_turns_the_sink_on_with_its_tls_endpoint(self):
        key = "abcd1234-secret-key"
        with agentlib.Agent(env=dict(ENV, HOSTEDGRAPHITE_APIKEY=key)) as agent:
            self.assertIn("graphite=tls://carbon.hostedgraphite.com:20030", agent.ready_line)
        self.assertFalse([l for l in agent.stdout() + agent.stderr() if key in l])

    def test_bad_url_is_a_config_error(self):
        proc = agentlib.run_command(["run"], env=dict(ENV, DYNOSTATSD_GRAPHITE_URL="http://carbon:2003"))
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("tcp://host:port or tls://host:port", proc.stderr)


class TlsCarbon:
    """A TLS line receiver (Python's ssl, a self-signed certificate for `localhost`)."""

    def __init__(self, directory):
        self.cert = os.path.join(directory, "cert.pem")
        key = os.path.join(directory, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
                        self.cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                       check=True, capture_output=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.context = context
        self.received = b""
        self.clean_close = False
        self.errors = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    while True:
                        data = tls.recv(65536)
                        if not data:
                            self.clean_close = True  # close_notify received
                            break
                        self.received += data
            except (ssl.SSLError, OSError) as e:
                self.errors.append(str(e))

    def close(self):
        self.listener.close()


class GraphiteTlsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="graphite-tls-")
        self.server = TlsCarbon(self.dir)

    def tearDown(self):
        self.server.close()

    def test_tls_with_a_trusted_certificate_delivers_and_closes_with_close_notify(self):
        env = dict(ENV, DYNOSTATSD_GRAPHITE_URL="tls://localhost:%d" % self.server.port, SSL_CERT_FILE=self.server.cert)
        with agentlib.Agent(env=env) as agent:
            agent.send("t.secure:7|g")
            agent.wait_for_stderr(r"stage=graphite msg=connected")
            agent.signal()
            self.assertEqual(agent.wait(15), 0)
        self.assertIn(b"stats.gauges.t.secure;appname=shop;dyno=web.1;dynotype=web 7 ", self.server.received)
        deadline = time.monotonic() + 3
        while not self.server.clean_close and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(self.server.clean_close)

    def test_an_untrusted_certificate_is_refused(self):
        env = dict(ENV, DYNOSTATSD_GRAPHITE_URL="tls://localhost:%d" % self.server.port,
                   SSL_CERT_FILE=os.path.join(self.dir, "nothing.pem"))
        with agentlib.Agent(env=env) as agent:
            agent.send("t.secure:7|g")
            self.assertTrue(agent.wait_for_stderr(r"stage=graphite reason=.*certificate", timeout=10))
        self.assertEqual(self.server.received, b"")

    def test_a_certificate_for_another_host_name_is_refused(self):
        env = dict(ENV, DYNOSTATSD_GRAPHITE_URL="tls://127.0.0.1:%d" % self.server.port,
                   SSL_CERT_FILE=self.server.cert)
        with agentlib.Agent(env=env) as agent:
            agent.send("t.secure:7|g")
            self.assertTrue(agent.wait_for_stderr(r"stage=graphite reason=.*(hostname|certificate)", timeout=10))
        self.assertEqual(self.server.received, b"")


if __name__ == "__main__":
    unittest.main()
