"""The StatsD relay against real UDP upstreams: every accepted line reaches the upstream its CRC32
picks (zlib.crc32 of the name before the first `:`, mod the number of upstreams, in list order),
byte for byte, exactly once, in datagrams of whole lines; local aggregation goes on as before.
Upstreams are plain UDP sockets (they record bytes exactly) and, when bench/ installed it, Etsy
statsd 0.9 itself (npm `statsd`), queried over its management port.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import zlib

import agentlib

ENV = {"DYNO": "web.1", "HEROKU_APP_NAME": "shop", "DYNOSTATSD_FLUSH_INTERVAL": "1",
       "DYNOSTATSD_SHUTDOWN_GRACE": "0.2", "DD_DOGSTATSD_SO_RCVBUF": str(8 << 20)}


class Upstream:
    """A UDP socket on loopback recording every datagram it receives (a reader thread)."""

    def __init__(self, family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.datagrams = []
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self.datagrams.append(data)

    def lines(self):
        out = []
        for d in list(self.datagrams):
            out.extend(d.split(b"\n"))
        return out

    def close(self):
        self._stop = True
        self._thread.join()
        self.sock.close()


def shard(line, n):
    return zlib.crc32(line.split(b":", 1)[0]) % n


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


class RelayTest(unittest.TestCase):
    def setUp(self):
        self.upstreams = [Upstream(), Upstream(), Upstream(socket.AF_INET6)]
        self.addresses = ["127.0.0.1:%d" % self.upstreams[0].port, "localhost:%d" % self.upstreams[1].port,
                          "[::1]:%d" % self.upstreams[2].port]

    def tearDown(self):
        for upstream in self.upstreams:
            upstream.close()

    def agent(self, **extra):
        """An agent relaying to the three upstreams; `with` starts and stops it."""
        env = dict(ENV, DYNOSTATSD_STATSD_RELAY=",".join(self.addresses))
        env.update(extra)
        return agentlib.Agent(env=env)

    def test_every_line_reaches_its_crc32_upstream_byte_for_byte_once(self):
        lines = []
        for i in range(3000):
            kind = i % 5
            if kind == 0:
                lines.append(b"relay.hits.%d:%d|c|@0.5|#env:prod,route:/a b" % (i, i))
            elif kind == 1:
                lines.append(b"relay.depth.%d:-%d.25|g" % (i, i))
            elif kind == 2:
                lines.append(b"relay.lat.%d:1:2:3.5|ms|#env:prod|T1700000000" % i)
            elif kind == 3:
                lines.append(b"relay.users.%d:user%d|s" % (i % 40, i))
            else:
                lines.append(("relay.caf\u00e9.%d:1|d|#k:v" % i).encode())
        events = [b"_e{5,4}:title|text|#env:prod", b"_sc|db.up|0|#env:prod"]
        rejected = [b"relay.broken", b"relay.badtype:1|zz", b":1|c"]
        with self.agent() as agent:
            stream = lines[:1500] + events + rejected + lines[1500:]
            for start in range(0, len(stream), 20):  # packed datagrams of 20 lines, CRLF in some
                sep = b"\r\n" if start % 40 == 0 else b"\n"
                agent.send(sep.join(stream[start:start + 20]))
                if start % 400 == 0:
                    time.sleep(0.002)
            expected = len(lines) + len(events)
            self.assertTrue(wait_for(lambda: sum(len(u.lines()) for u in self.upstreams) >= expected),
                            "relayed %d of %d" % (sum(len(u.lines()) for u in self.upstreams), expected))
            time.sleep(0.1)  # nothing more may come (no duplicates)
            agent.wait_for_metric("count", "relay.hits.0")  # local aggregation still runs
        received = {}
        for index, upstream in enumerate(self.upstreams):
            for datagram in upstream.datagrams:
                self.assertLessEqual(len(datagram), 1432)
                self.assertFalse(datagram.endswith(b"\n"))
            for line in upstream.lines():
                self.assertNotIn(line, received, "relayed twice: %r" % line)
                received[line] = index
        self.assertEqual(set(received), set(lines) | set(events))
        for line in lines:
            self.assertEqual(received[line], shard(line, 3), line)
        for line in events:
            self.assertEqual(received[line], 0)
        self.assertTrue(all(upstream.datagrams for upstream in self.upstreams))

    def test_prefix_and_dyno_tags_are_applied_after_sharding(self):
        with self.agent(DYNOSTATSD_STATSD_RELAY_PREFIX="hg-secret-0123", DYNOSTATSD_STATSD_RELAY_TAGS="dyno") as agent:
            agent.send("relay.a:1|c\nrelay.b:2|g|#env:prod\nrelay.c:3|ms|@0.5|#env:prod|T1700000000")
            self.assertTrue(wait_for(lambda: sum(len(u.lines()) for u in self.upstreams) >= 3))
            self.assertFalse(any("hg-secret-0123" in line for line in agent.stderr()))  # the prefix is a secret
        shown = agentlib.run_command(["check-config"], env=dict(ENV, DYNOSTATSD_STATSD_RELAY=self.addresses[0],
                                                                  DYNOSTATSD_STATSD_RELAY_PREFIX="hg-secret-0123"))
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertIn("statsd_relay_prefix=***0123", shown.stdout)
        self.assertNotIn("hg-secret", shown.stdout + shown.stderr)
        got = {line: i for i, u in enumerate(self.upstreams) for line in u.lines()}
        self.assertEqual(got.get(b"hg-secret-0123.relay.a:1|c|#dyno:web.1,dynotype:web"), shard(b"relay.a:1", 3))
        self.assertEqual(got.get(b"hg-secret-0123.relay.b:2|g|#env:prod,dyno:web.1,dynotype:web"), shard(b"relay.b:", 3))
        self.assertEqual(got.get(b"hg-secret-0123.relay.c:3|ms|@0.5|#env:prod,dyno:web.1,dynotype:web|T1700000000"),
                         shard(b"relay.c:", 3))

    def test_datagrams_respect_the_configured_size(self):
        with self.agent(DYNOSTATSD_STATSD_RELAY_MAX_DATAGRAM="200") as agent:
            lines = [b"relay.size.%04d:%d|c" % (i, i) for i in range(400)]
            for start in range(0, len(lines), 40):
                agent.send(b"\n".join(lines[start:start + 40]))
            self.assertTrue(wait_for(lambda: sum(len(u.lines()) for u in self.upstreams) >= 400))
        sizes = [len(d) for u in self.upstreams for d in u.datagrams]
        self.assertLessEqual(max(sizes), 200)
        self.assertGreater(sum(sizes) / len(sizes), 150)  # packed: not one line per datagram
        self.assertEqual(sorted(line for u in self.upstreams for line in u.lines()), sorted(lines))

    def test_lines_received_during_the_shutdown_grace_are_relayed(self):
        agent = self.agent(DYNOSTATSD_SHUTDOWN_GRACE="0.5").start()
        agent.signal()
        time.sleep(0.1)
        agent.send("relay.late:1|c")
        self.assertEqual(agent.wait(10), 0)
        self.assertTrue(wait_for(lambda: any(b"relay.late:1|c" in u.lines() for u in self.upstreams), 2))

    def test_unresolvable_host_is_a_clear_error_at_start(self):
        proc = agentlib.run_command(["run"], env=dict(ENV, DYNOSTATSD_STATSD_RELAY="127.0.0.1:9,nosuchhost.invalid:8125",
                                                      DD_DOGSTATSD_PORT=str(agentlib.free_udp_port())))
        self.assertEqual(proc.returncode, 1)
        self.assertIn("setting=statsd_relay", proc.stderr)
        self.assertIn('cannot resolve host \\"nosuchhost.invalid\\"', proc.stderr)
        bad = agentlib.run_command(["run"], env=dict(ENV, DYNOSTATSD_STATSD_RELAY="::1:8125"))
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("[::1]:8125", bad.stderr)


ETSY = os.path.join(agentlib.REPO, "bench", ".peers", "node_modules", "statsd", "stats.js")


@unittest.skipUnless(os.path.exists(ETSY) and shutil.which("node"), "Etsy statsd not installed (bench/run.sh)")
class EtsyUpstreamTest(unittest.TestCase):
    """Three Etsy statsd 0.9 processes as the collector cluster logplex-statsd would feed."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="relay-etsy-")
        self.procs, self.ports, self.mgmt = [], [], []
        for i in range(3):
            port, mgmt = agentlib.free_udp_port(), free_tcp_port()
            config = os.path.join(self.dir, "c%d.js" % i)
            with open(config, "w") as f:
                f.write('{port: %d, mgmt_port: %d, address: "127.0.0.1", mgmt_address: "127.0.0.1", '
                        'flushInterval: 600000, backends: []}' % (port, mgmt))
            self.procs.append(subprocess.Popen(["node", ETSY, config], stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL))
            self.ports.append(port)
            self.mgmt.append(mgmt)
        for mgmt in self.mgmt:
            self.assertTrue(wait_for(lambda: management(mgmt, "health") is not None, 10))

    def tearDown(self):
        for proc in self.procs:
            proc.terminate()
            proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_each_counter_is_counted_on_its_crc32_collector_only(self):
        names = ["etsy.relay.%d" % i for i in range(60)]
        relay = ",".join("127.0.0.1:%d" % p for p in self.ports)
        with agentlib.Agent(env=dict(ENV, DYNOSTATSD_STATSD_RELAY=relay)) as agent:
            for name in names:
                agent.send("%s:3|c\n%s:4|c" % (name, name))
            expected = {i: [n for n in names if shard(n.encode(), 3) == i] for i in range(3)}

            def counted():
                return all(all(("'%s': 7" % n) in (management(self.mgmt[i], "counters") or "") for n in expected[i])
                           for i in range(3))

            self.assertTrue(wait_for(counted, 10))
        for i in range(3):
            counters = management(self.mgmt[i], "counters")
            for name in names:
                self.assertEqual(("'%s'" % name) in counters, name in expected[i], (i, name))


def free_tcp_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def management(port, command):
    """Etsy statsd's management console: one command, the text up to its END line (or a pause)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(command.encode() + b"\n")
            data = b""
            sock.settimeout(0.3)
            while b"END" not in data:
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                data += chunk
            return data.decode() if data else None
    except OSError:
        return None


if __name__ == "__main__":
    unittest.main()
