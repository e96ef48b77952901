"""A real carbon-cache (Debian graphite-carbon) on loopback for end-to-end tests, read back with
whisper-fetch (Debian python3-whisper).

    carbon = Carbon().start()                 # its own carbon.conf in a temp dir, free ports
    carbon.url                                # tcp://127.0.0.1:<line port>
    carbon.points("stats.gauges.x;dyno=web.1")  # {timestamp: value} of the non-null points
    carbon.stop(); carbon.start()             # a restart keeps the same port and whisper files

Retention is 1 s for an hour, so the agent's 1 s buckets each land in their own slot. ENABLE_TAGS
is on: tagged series are stored under _tagged/ by the sha256 of their normalised name (carbon's
own TaggedSeries rule, imported from Debian's python3 carbon package). There is no graphite-web
tag database here; carbon logs that it cannot register the tags and stores the points anyway.
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SYSTEM_PYTHON_LIB = "/usr/lib/python3/dist-packages"
if SYSTEM_PYTHON_LIB not in sys.path:
    sys.path.append(SYSTEM_PYTHON_LIB)
try:
    from carbon.util import TaggedSeries  # noqa: E402
except ImportError:  # graphite-carbon missing: available() says so and the tests skip
    TaggedSeries = None


def free_tcp_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def available():
    return (TaggedSeries is not None and shutil.which("carbon-cache") is not None and
            shutil.which("whisper-fetch") is not None)


class Carbon:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="carbon-")
        self.port = free_tcp_port()
        self.pickle_port = free_tcp_port()
        self.query_port = free_tcp_port()
        self.whisper = os.path.join(self.dir, "storage", "whisper")
        self.proc = None
        with open(os.path.join(self.dir, "carbon.conf"), "w") as f:
            f.write("\n".join([
                "[cache]",
                "STORAGE_DIR = %s/storage/" % self.dir,
                "LOCAL_DATA_DIR = %s/" % self.whisper,
                "CONF_DIR = %s/" % self.dir,
                "LOG_DIR = %s/log/" % self.dir,
                "PID_DIR = %s/" % self.dir,
                "DATABASE = whisper",
                "ENABLE_LOGROTATION = False",
                "USER =",
                "MAX_CACHE_SIZE = inf",
                "MAX_UPDATES_PER_SECOND = 100000",
                "MAX_CREATES_PER_MINUTE = 100000",
                "LINE_RECEIVER_INTERFACE = 127.0.0.1",
                "LINE_RECEIVER_PORT = %d" % self.port,
                "ENABLE_UDP_LISTENER = False",
                "PICKLE_RECEIVER_INTERFACE = 127.0.0.1",
                "PICKLE_RECEIVER_PORT = %d" % self.pickle_port,
                "CACHE_QUERY_INTERFACE = 127.0.0.1",
                "CACHE_QUERY_PORT = %d" % self.query_port,
                "ENABLE_TAGS = True",
                "GRAPHITE_URL = http://127.0.0.1:9",
                "WHISPER_AUTOFLUSH = True",
                "LOG_LISTENER_CONN_SUCCESS = True",
                "",
            ]))
        with open(os.path.join(self.dir, "storage-schemas.conf"), "w") as f:
            f.write("[all]\npattern = .*\nretentions = 1s:1h\n")
        self.log_path = os.path.join(self.dir, "console.log")

    @property
    def url(self):
        return "tcp://127.0.0.1:%d" % self.port

    def start(self, timeout=20):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(["carbon-cache", "--config=%s/carbon.conf" % self.dir, "--debug", "start"],
                                     stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("carbon-cache exited:\n" + self.log())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("carbon-cache did not listen on %d:\n%s" % (self.port, self.log()))

    def stop(self):
        """SIGTERM: carbon closes its listeners and connections and writes its cache out."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def path_of(self, name):
        if ";" in name:
            normal = TaggedSeries.parse(name).path
            digest = hashlib.sha256(normal.encode()).hexdigest()
            return os.path.join(self.whisper, "_tagged", digest[0:3], digest[3:6], digest + ".wsp")
        return os.path.join(self.whisper, *name.split(".")) + ".wsp"

    def points(self, name):
        """{timestamp: value} of the series' non-null points in the last hour ({} when none)."""
        path = self.path_of(name)
        if not os.path.exists(path):
            return {}
        now = int(time.time())
        out = subprocess.run(["whisper-fetch", "--json", "--from=%d" % (now - 3599), "--until=%d" % (now + 1), path],
                             capture_output=True, text=True, check=True).stdout
        data = json.loads(out)
        return {data["start"] + i * data["step"]: v for i, v in enumerate(data["values"]) if v is not None}

    def wait_points(self, name, predicate=lambda points: bool(points), timeout=15):
        deadline = time.monotonic() + timeout
        points = {}
        while time.monotonic() < deadline:
            points = self.points(name)
            if predicate(points):
                return points
            time.sleep(0.2)
        return points

    def series_names(self):
        """Every untagged series stored, as dotted names."""
        names = []
        for root, _, files in os.walk(self.whisper):
            if "_tagged" in root:
                continue
            for f in files:
                if f.endswith(".wsp"):
                    rel = os.path.relpath(os.path.join(root, f[:-4]), self.whisper)
                    names.append(rel.replace(os.sep, "."))
        return names
