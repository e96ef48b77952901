"""Client compatibility: StatsD libraries that none of us wrote talk to the real agent.

Each client runs as its own process (node, python3, ruby) and sends a known workload over real
UDP (and a Unix datagram socket for hot-shots) to one running agent that forwards to a
FakeIntake with a 1 s flush. The forwarded aggregates are asserted exactly.

Making it exact:
- Sampling is made deterministic inside each client script by replacing the random source the
  library itself uses (Math.random, random.random, Kernel#rand) with one that always keeps the
  sample, so "|@0.5" is on the wire for every call and the agent must scale by 2.
- Per-interval statistics (sets, timer and histogram median/avg/percentiles) need all values in
  one bucket: each script waits for the start of a bucket (they are epoch-aligned; BUCKET_MS is
  the flush interval) and sends its burst at once (in one datagram where the client can batch).
  A burst can still straddle a boundary when the machine stalls (or a multi-datagram client is
  slow), so after each run the test counts the points of those statistics; when one has more
  than one, the run is repeated under a fresh metric prefix (PREFIX; at most 3 runs, each
  reported) and the exact assertions apply to the run that fit in one bucket.
- Totals (counters, timer counts), maxima, the last gauge value and distribution sketches
  (cnt/min/max/sum) are combined over every point, so bucket boundaries do not matter for them.

npm clients (hot-shots, node-statsd) are installed once into a cache directory
(DYNOSTATSD_NPM_CLIENTS, default ~/.cache/dynostatsd/npm-clients-<pins>); the Debian clients come
from scripts/deps.sh (python3-statsd, python3-aiodogstatsd, ruby-statsd).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import agentlib  # noqa: E402  (engineer "app"'s helper: starts the real binary)
from fake_intake import FakeIntake  # noqa: E402

NPM_PINS = {"hot-shots": "17.1.1", "node-statsd": "0.1.1"}
NODE = shutil.which("node") or "/usr/bin/node"
NPM = shutil.which("npm") or "/usr/bin/npm"
RUBY = shutil.which("ruby") or "/usr/bin/ruby"
SYSTEM_PYTHON = "/usr/bin/python3"
DYNO_TAGS = ["dyno:web.1", "dynotype:web"]


def npm_clients_dir():
    """Installs the pinned npm clients once; returns the node_modules directory."""
    pins = "-".join("%s@%s" % item for item in sorted(NPM_PINS.items()))
    base = os.environ.get("DYNOSTATSD_NPM_CLIENTS") or os.path.join(
        os.path.expanduser("~"), ".cache", "dynostatsd", "npm-clients-" + pins)
    modules = os.path.join(base, "node_modules")
    ready = all(os.path.exists(os.path.join(modules, name, "package.json")) for name in NPM_PINS)
    if not ready:
        os.makedirs(base, exist_ok=True)
        with open(os.path.join(base, "package.json"), "w", encoding="utf-8") as handle:
            json.dump({"name": "dynostatsd-client-tests", "private": True, "dependencies": NPM_PINS}, handle)
        result = subprocess.run([NPM, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=base,
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError("npm install of %s failed in %s:\n%s" % (pins, base, result.stderr[-2000:]))
    for name, version in NPM_PINS.items():
        with open(os.path.join(modules, name, "package.json"), encoding="utf-8") as handle:
            installed = json.load(handle)["version"]
        if installed != version:
            raise RuntimeError("%s is %s in %s, want %s" % (name, installed, modules, version))
    return modules


def unix_dgram_available(modules):
    """hot-shots' Unix-socket mode needs its optional native module unix-dgram (node-gyp build)."""
    probe = subprocess.run([NODE, "-e", "require('unix-dgram')"], env=dict(os.environ, NODE_PATH=modules),
                           capture_output=True, timeout=30)
    return probe.returncode == 0


# Every script receives the port (and socket path), the metric prefix PREFIX and the bucket width
# BUCKET_MS in the environment, waits for the start of the next bucket (+20 ms), sends its burst,
# and exits after the client has flushed.

HOT_SHOTS_SCRIPT = r"""
const StatsD = require('hot-shots');
const P = process.env.PREFIX;
const W = Number(process.env.BUCKET_MS);
Math.random = () => 0; // always "sampled in": the rate still goes on the wire
const client = new StatsD({
  host: '127.0.0.1', port: Number(process.env.PORT), globalTags: ['client:hot-shots'],
  maxBufferSize: 8192, bufferFlushInterval: 60000, // one datagram for the whole burst
  includeDatadogTelemetry: false,
  errorHandler: (e) => { console.error(e); process.exitCode = 1; },
});
setTimeout(() => {
  for (let i = 0; i < 5; i++) client.increment(`${P}.requests`, 1, ['route:/home']);
  for (let i = 0; i < 4; i++) client.increment(`${P}.sampled`, 1, 0.5);
  client.decrement(`${P}.balance`, 3);
  for (const ms of [10, 20, 30, 40]) client.timing(`${P}.latency`, ms, ['route:/home']);
  for (const ms of [10, 20]) client.timing(`${P}.latency_sampled`, ms, 0.5);
  for (const v of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) client.histogram(`${P}.size`, v);
  for (const g of [3, 7, 5]) client.gauge(`${P}.queue`, g);
  client.gauge(`${P}.delta`, 10);
  client.gaugeDelta(`${P}.delta`, 5); // "+5|g": a delta for Etsy statsd, the absolute value 5 for DogStatsD
  for (const u of ['alice', 'bob', 'alice', 'carol']) client.set(`${P}.users`, u);
  for (const d of [100, 200, 300]) client.distribution(`${P}.payload`, d, ['route:/upload']);
  client.event(`${P} deploy`, 'line one\nline two', { alert_type: 'success', priority: 'low' }, ['team:web']);
  client.check(`${P}.can_serve`, client.CHECKS.WARNING, { message: 'slow disk' }, ['team:web']);
  client.close((err) => { if (err) { console.error(err); process.exitCode = 1; } });
}, W + 20 - (Date.now() % W));
"""

HOT_SHOTS_UDS_SCRIPT = r"""
const StatsD = require('hot-shots');
const client = new StatsD({
  protocol: 'uds', path: process.env.SOCKET, includeDatadogTelemetry: false,
  errorHandler: (e) => { console.error(e); process.exitCode = 1; },
});
for (let i = 0; i < 3; i++) client.increment('hsuds.requests', 1, ['transport:uds']);
client.gauge('hsuds.queue', 11);
client.close((err) => { if (err) { console.error(err); process.exitCode = 1; } });
"""

NODE_STATSD_SCRIPT = r"""
const StatsD = require('node-statsd');
const P = process.env.PREFIX;
const W = Number(process.env.BUCKET_MS);
Math.random = () => 0;
const client = new StatsD({ host: '127.0.0.1', port: Number(process.env.PORT), global_tags: ['client:node-statsd'] });
let pending = 0;
const done = (err) => { if (err) { console.error(err); process.exitCode = 1; } if (--pending === 0) client.close(); };
const send = (fn, ...args) => { pending++; fn.call(client, ...args, done); };
setTimeout(() => {
  for (let i = 0; i < 5; i++) send(client.increment, `${P}.requests`, 1, 1, ['route:/home']);
  for (let i = 0; i < 4; i++) send(client.increment, `${P}.sampled`, 1, 0.5, []);
  for (const ms of [10, 20, 30, 40]) send(client.timing, `${P}.latency`, ms, 1, ['route:/home']);
  for (const g of [3, 7, 5]) send(client.gauge, `${P}.queue`, g, 1, []);
  for (const u of ['alice', 'bob', 'alice', 'carol']) send(client.set, `${P}.users`, u, 1, []);
  for (const v of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) send(client.histogram, `${P}.size`, v, 1, []);
}, W + 20 - (Date.now() % W));
"""

PYTHON_STATSD_SCRIPT = r"""
import os, random, time
import statsd
random.random = lambda: 0.0  # statsd.client.base samples with random.random() > rate
client = statsd.StatsClient('127.0.0.1', int(os.environ['PORT']), prefix=os.environ['PREFIX'])
width = int(os.environ['BUCKET_MS']) / 1000
time.sleep(width + 0.02 - time.time() % width)
with client.pipeline() as pipe:  # one datagram (pipeline flushes at maxudpsize 512)
    for _ in range(5):
        pipe.incr('requests')
    for _ in range(4):
        pipe.incr('sampled', 1, rate=0.5)
    for ms in (10, 20, 30, 40):
        pipe.timing('latency', ms)
    for g in (3, 7, 5):
        pipe.gauge('queue', g)
    for u in ('alice', 'bob', 'alice', 'carol'):
        pipe.set('users', u)
"""

AIODOGSTATSD_SCRIPT = r"""
import asyncio, os, time
import aiodogstatsd
import aiodogstatsd.client
aiodogstatsd.client.random = lambda: 0.0  # the client samples with `random() > sample_rate`

async def main():
    client = aiodogstatsd.Client(host='127.0.0.1', port=int(os.environ['PORT']), constant_tags={'client': 'aiodogstatsd'})
    await client.connect()
    p, width = os.environ['PREFIX'], int(os.environ['BUCKET_MS']) / 1000
    await asyncio.sleep(width + 0.02 - time.time() % width)
    for _ in range(5):
        client.increment(p + '.requests', tags={'route': '/home'})
    for _ in range(4):
        client.increment(p + '.sampled', sample_rate=0.5)
    for ms in (10, 20, 30, 40):
        client.timing(p + '.latency', value=ms, tags={'route': '/home'})
    for v in range(1, 11):
        client.histogram(p + '.size', value=v)
    for g in (3, 7, 5):
        client.gauge(p + '.queue', value=g)
    for d in (100, 200, 300):
        client.distribution(p + '.payload', value=d)
    await client.close()

asyncio.run(main())
"""

RUBY_STATSD_SCRIPT = r"""
require 'statsd'
class Statsd
  def rand(*) = 0.0 # send_stats samples with `rand < sample_rate`
end
client = Statsd.new('127.0.0.1', Integer(ENV.fetch('PORT')))
client.namespace = ENV.fetch('PREFIX')
width = Integer(ENV.fetch('BUCKET_MS')) / 1000.0
sleep(width + 0.02 - Time.now.to_f % width)
client.batch do |b|
  b.batch_size = 100
  5.times { b.increment('requests') }
  4.times { b.increment('sampled', 0.5) }
  [10, 20, 30, 40].each { |ms| b.timing('latency', ms) }
  [3, 7, 5].each { |g| b.gauge('queue', g) }
  %w[alice bob alice carol].each { |u| b.set('users', u) }
end
"""


FLUSH_SECONDS = 1
MAX_RUNS = 3  # runs of one client script before a burst that never fits one bucket fails the test


class ClientCompatibilityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.modules = npm_clients_dir()
        cls.tmp = tempfile.mkdtemp(prefix="dynostatsd-clients-")
        cls.socket_path = os.path.join(cls.tmp, "dsd.socket")
        cls.intake = FakeIntake().start()
        cls.agent = agentlib.Agent(env={
            "DD_API_KEY": "client-test-key",
            "DD_DD_URL": cls.intake.url,
            "DYNOSTATSD_FLUSH_INTERVAL": str(FLUSH_SECONDS),
            "DD_DOGSTATSD_SOCKET": cls.socket_path,
            "DYNO": "web.1",
        })
        cls.agent.start()
        cls.port = cls.agent.udp_port

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()
        cls.intake.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # -- helpers --------------------------------------------------------------------------------

    def run_client(self, argv, script, prefix=""):
        full_env = dict(os.environ, PORT=str(self.port), SOCKET=self.socket_path, NODE_PATH=self.modules,
                        PREFIX=prefix, BUCKET_MS=str(FLUSH_SECONDS * 1000))
        result = subprocess.run(argv + [script], env=full_env, capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, "client failed:\n%s%s" % (result.stdout, result.stderr))
        self.settle(time.time())

    def run_burst(self, argv, script, name, one_bucket):
        """Runs a client script whose statistics ONE_BUCKET (metric suffixes) must come from one
        bucket; returns the metric prefix of the first run where each of them has one point.

        A run whose burst straddled a bucket boundary is reported and repeated under a fresh
        prefix, so its metrics never mix with the next run's."""
        for run in range(1, MAX_RUNS + 1):
            prefix = name if run == 1 else "%s_run%d" % (name, run)
            self.run_client(argv, script, prefix)
            split = {m: n for m in one_bucket if (n := self.point_count(prefix + m)) > 1}
            if not split:
                return prefix
            print("note: %s: the burst straddled a bucket boundary (points: %s); running it again" % (prefix, split),
                  file=sys.stderr)
        self.fail("%s: the burst straddled a bucket boundary in all %d runs" % (name, MAX_RUNS))

    def settle(self, sent_at):
        """Waits until the agent has flushed a bucket that starts after the client finished."""
        horizon = int(sent_at) + 1

        def flushed_past():
            return any(ts >= horizon for s in self.intake.series() for ts, _ in s["points"])

        self.assertTrue(self.intake.wait_for(flushed_past, timeout=15), "no flush after the client ran")

    def point_count(self, metric):
        return sum(len(s["points"]) for s in self.intake.series(metric))

    def series(self, metric):
        found = self.intake.series(metric)
        self.assertTrue(found, "no series %s; got %s" % (metric, sorted({s["metric"] for s in self.intake.series()})))
        for s in found:
            for tag in DYNO_TAGS:
                self.assertIn(tag, s["tags"], metric)
        return found

    def total(self, metric, tags=()):
        """Sum of a counter over every point, as a count (rate value x interval)."""
        out = 0.0
        for s in self.series(metric):
            if all(t in s["tags"] for t in tags):
                self.assertEqual(s["type"], "rate", metric)
                out += sum(v * s["interval"] for _, v in s["points"])
        return out

    def single(self, metric, tags=()):
        """The one point of a per-interval statistic (the whole burst was in one bucket)."""
        points = [(ts, v, s) for s in self.series(metric) if all(t in s["tags"] for t in tags)
                  for ts, v in s["points"]]
        self.assertEqual(len(points), 1, "%s: want one point, got %s" % (metric, points))
        return points[0][1], points[0][2]

    def last_gauge(self, metric):
        points = sorted((ts, v) for s in self.series(metric) for ts, v in s["points"])
        self.assertEqual(self.series(metric)[0]["type"], "gauge")
        return points[-1][1]

    def sketch_summary(self, metric, tags=()):
        """(cnt, min, max, sum) of a distribution over every sketch point (any number of buckets)."""
        found = self.intake.wait_for(lambda: self.intake.sketches(metric), timeout=10)
        self.assertTrue(found, "no sketch %s" % metric)
        points = []
        for sketch in found:
            for tag in list(tags) + DYNO_TAGS:
                self.assertIn(tag, sketch["tags"], metric)
            points += sketch["dogsketches"]
        return (sum(p["cnt"] for p in points), min(p["min"] for p in points), max(p["max"] for p in points),
                sum(p["sum"] for p in points))

    def assert_timer(self, prefix, tags=()):
        # 10, 20, 30, 40 ms in one bucket: max 40, median 20, avg 25, count 4, p95 40 (§B.3).
        self.assertEqual(self.single(prefix + ".max", tags)[0], 40)
        self.assertEqual(self.single(prefix + ".median", tags)[0], 20)
        self.assertEqual(self.single(prefix + ".avg", tags)[0], 25)
        self.assertEqual(self.single(prefix + ".95percentile", tags)[0], 40)
        self.assertEqual(self.total(prefix + ".count", tags), 4)

    def assert_histogram_1_to_10(self, prefix):
        self.assertEqual(self.single(prefix + ".max")[0], 10)
        self.assertEqual(self.single(prefix + ".median")[0], 5)
        self.assertEqual(self.single(prefix + ".avg")[0], 5.5)
        self.assertEqual(self.single(prefix + ".95percentile")[0], 10)
        self.assertEqual(self.total(prefix + ".count"), 10)

    def assert_common(self, prefix, tagged):
        route = ["route:/home"] if tagged else []
        self.assertEqual(self.total(prefix + ".requests", route), 5)
        self.assertEqual(self.total(prefix + ".sampled"), 8)  # 4 x |@0.5
        self.assert_timer(prefix + ".latency", route)
        self.assertEqual(self.last_gauge(prefix + ".queue"), 5)
        self.assertEqual(self.intake.invalid(), [])

    # -- clients --------------------------------------------------------------------------------

    # Per-interval statistics of a timer (10, 20, 30, 40) and a histogram (1..10).
    TIMER = [".latency.median", ".latency.avg", ".latency.95percentile"]
    HISTOGRAM = [".size.median", ".size.avg", ".size.95percentile"]

    def test_hot_shots(self):
        p = self.run_burst([NODE, "-e"], HOT_SHOTS_SCRIPT, "hs",
                           self.TIMER + self.HISTOGRAM + [".latency_sampled.max", ".users"])
        self.assert_common(p, tagged=True)
        for s in self.series(p + ".requests"):
            self.assertIn("client:hot-shots", s["tags"])
        self.assertEqual(self.total(p + ".balance"), -3)
        # Like the Datadog Agent, a signed gauge value is absolute, not a delta (reference §A.8).
        self.assertEqual(self.last_gauge(p + ".delta"), 5)
        self.assertEqual(self.total(p + ".latency_sampled.count"), 4)  # 2 x |@0.5
        self.assertEqual(self.single(p + ".latency_sampled.max")[0], 20)
        self.assert_histogram_1_to_10(p + ".size")
        value, s = self.single(p + ".users")
        self.assertEqual((value, s["type"]), (3, "gauge"))
        self.assertEqual(self.sketch_summary(p + ".payload", ["route:/upload"]), (3, 100, 300, 600))

        events = self.intake.wait_for(lambda: self.intake.events(p + " deploy"), timeout=10)
        self.assertEqual(len(events), 1)
        event = events[0]
        self.assertEqual(event["text"], "line one\nline two")  # hot-shots escapes \n, the agent unescapes
        self.assertEqual((event.get("alert_type"), event.get("priority")), ("success", "low"))
        self.assertIn("team:web", event["tags"])
        self.assertIn("dyno:web.1", event["tags"])

        checks = self.intake.wait_for(lambda: self.intake.checks(p + ".can_serve"), timeout=10)
        self.assertEqual(len(checks), 1)
        self.assertEqual((checks[0]["status"], checks[0].get("message")), (1, "slow disk"))
        self.assertIn("team:web", checks[0]["tags"])
        self.assertIn("dyno:web.1", checks[0]["tags"])

    def test_hot_shots_unix_socket(self):
        if not unix_dgram_available(self.modules):
            self.skipTest("hot-shots' optional native module unix-dgram did not build here")
        self.run_client([NODE, "-e"], HOT_SHOTS_UDS_SCRIPT)
        self.assertEqual(self.total("hsuds.requests", ["transport:uds"]), 3)
        self.assertEqual(self.last_gauge("hsuds.queue"), 11)

    def test_node_statsd(self):
        p = self.run_burst([NODE, "-e"], NODE_STATSD_SCRIPT, "ns", self.TIMER + self.HISTOGRAM + [".users"])
        self.assert_common(p, tagged=True)
        for s in self.series(p + ".requests"):
            self.assertIn("client:node-statsd", s["tags"])
        self.assert_histogram_1_to_10(p + ".size")
        self.assertEqual(self.single(p + ".users")[0], 3)

    def test_python_statsd(self):
        # python-statsd speaks plain StatsD: no tags, no histograms, events or service checks.
        p = self.run_burst([SYSTEM_PYTHON, "-c"], PYTHON_STATSD_SCRIPT, "py", self.TIMER + [".users"])
        self.assert_common(p, tagged=False)
        self.assertEqual(self.single(p + ".users")[0], 3)

    def test_python_aiodogstatsd(self):
        # aiodogstatsd has tags, histograms and distributions, but no sets, events or service checks.
        p = self.run_burst([SYSTEM_PYTHON, "-c"], AIODOGSTATSD_SCRIPT, "aio", self.TIMER + self.HISTOGRAM)
        self.assert_common(p, tagged=True)
        for s in self.series(p + ".requests"):
            self.assertIn("client:aiodogstatsd", s["tags"])
        self.assert_histogram_1_to_10(p + ".size")
        self.assertEqual(self.sketch_summary(p + ".payload"), (3, 100, 300, 600))

    def test_ruby_statsd(self):
        # statsd-ruby speaks plain StatsD: no tags, no histograms, events or service checks.
        p = self.run_burst([RUBY, "-e"], RUBY_STATSD_SCRIPT, "rb", self.TIMER + [".users"])
        self.assert_common(p, tagged=False)
        self.assertEqual(self.single(p + ".users")[0], 3)


if __name__ == "__main__":
    unittest.main()
