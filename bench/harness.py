#!/usr/bin/python3
"""The benchmark driver behind bench/run.sh.

Runs each scenario several times against dynostatsd and against Etsy statsd (side by side, same
load generator, same loopback port setup), measures from /proc what the kernel accounts to each
server (CPU seconds, peak RSS, receive-buffer drops) and what each server says it counted, and
writes the medians as JSON and as a Markdown table.

Input: the paths of the built agent, loadgen and Etsy statsd's stats.js. Output: <out>/results.json,
<out>/results.md, and each run's raw stdout/stderr under <out>/runs/.
Only loopback traffic, bounded line counts and durations; every process it starts it also stops.
"""
import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
MIB = 1024 * 1024

# Datadog agent types that Etsy statsd does not know: sent to it as the closest type it has, so both
# servers aggregate the same number of sample-list lines.
ETSY_TYPE_MAP = {"h": "ms", "d": "ms"}
MIXED = "c,g,ms,h,s,d"


# ---------------------------------------------------------------- /proc and sysctl readers

def cpuSplit(pid):
    """(utime, stime) of a process, in seconds (clock-tick resolution): the server's own code, and
    the kernel working on its behalf (receive system calls, wake-ups)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def cpuSeconds(pid):
    """utime + stime of a process, in seconds."""
    return sum(cpuSplit(pid))


def cpuSecondsPrecise(pid):
    """On-CPU time of every thread from /proc/<pid>/task/*/schedstat (nanoseconds, no tick rounding)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9


def procStatusKb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def pssKb(pid):
    """Proportional set size (shared library pages divided among the processes mapping them)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def udpSocket(port):
    """(rx_queue bytes, drops) of the IPv4 UDP socket bound to 127.0.0.1:<port> or 0.0.0.0:<port>."""
    wanted = f":{port:04X}"
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            cols = line.split()
            if cols[1].endswith(wanted):
                return int(cols[4].split(":")[1], 16), int(cols[12])
    return None


def socketRcvbuf(port):
    """The receive buffer the kernel granted the socket (ss -m `rb`), in bytes, or None."""
    try:
        out = subprocess.run(["ss", "-uanmH", f"sport = :{port}"], capture_output=True, text=True,
                             timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"\brb(\d+)", out)
    return int(match.group(1)) if match else None


def readSysctl(name):
    with open("/proc/sys/" + name.replace(".", "/")) as f:
        return int(f.read().split()[0])


def writeSysctl(name, value):
    try:
        with open("/proc/sys/" + name.replace(".", "/"), "w") as f:
            f.write(str(value))
        return True
    except OSError:
        return False


def freePort(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def loadAverage():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# ---------------------------------------------------------------- servers under test

class Server:
    """One started server process: start -> (load) -> drained -> stop/count."""

    label = "?"

    def __init__(self, runDir):
        self.runDir = runDir
        self.proc = None
        self.port = None
        self.readyMs = None

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def waitDrained(self, timeout=60.0):
        """Until the socket's receive queue is empty and the CPU counter stopped moving for 200 ms."""
        deadline = time.monotonic() + timeout
        lastCpu, stableSince = None, None
        while time.monotonic() < deadline and self.alive():
            sock = udpSocket(self.port)
            cpu = cpuSeconds(self.pid)
            now = time.monotonic()
            if sock and sock[0] == 0 and cpu == lastCpu:
                stableSince = stableSince or now
                if now - stableSince >= 0.2:
                    return True
            else:
                stableSince = None
            lastCpu = cpu
            time.sleep(0.02)
        return False

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()


class Dynostatsd(Server):
    label = "dynostatsd"
    READY = re.compile(r"\bmsg=ready\b")
    METRIC = re.compile(r"\b(count|sample|measure|unique)#([^=\s]+)=(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)")

    def __init__(self, runDir, binary, rcvbuf, flushInterval, extraEnv=None):
        super().__init__(runDir)
        self.binary = binary
        self.rcvbuf = rcvbuf
        self.flushInterval = flushInterval
        self.extraEnv = extraEnv or {}
        self.stderrLines = []
        self.selfStartupMs = None
        self.readyEvent = threading.Event()

    def start(self):
        self.port = freePort(socket.SOCK_DGRAM)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.runDir,
               "DD_DOGSTATSD_PORT": str(self.port), "DD_DOGSTATSD_SO_RCVBUF": str(self.rcvbuf),
               "DYNOSTATSD_FLUSH_INTERVAL": str(self.flushInterval), "DYNO": "bench.1",
               "HEROKU_APP_NAME": "bench", "DYNOSTATSD_SHUTDOWN_GRACE": "0"}
        env.update(self.extraEnv)
        self.stdoutPath = os.path.join(self.runDir, "stdout.log")
        self.stdout = open(self.stdoutPath, "w")
        started = time.monotonic()
        self.proc = subprocess.Popen([self.binary, "run"], env=env, cwd=self.runDir, stdout=self.stdout,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        threading.Thread(target=self._readStderr, args=(started,), daemon=True).start()
        if not self.readyEvent.wait(10) or self.readyMs is None:
            self.kill()
            raise RuntimeError("dynostatsd did not log msg=ready within 10 s: " +
                               " | ".join(self.stderrLines[-5:]))

    def _readStderr(self, started):
        for line in self.proc.stderr:
            if self.readyMs is None and self.READY.search(line):
                self.readyMs = (time.monotonic() - started) * 1000
                own = re.search(r"\bstartup_ms=([0-9.]+)", line)
                self.selfStartupMs = float(own.group(1)) if own else None
                self.readyEvent.set()
            self.stderrLines.append(line.rstrip("\n"))
        self.readyEvent.set()

    def stop(self):
        """SIGTERM (final flush of everything), wait, and parse what the agent printed."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.stdout.close()
        with open(os.path.join(self.runDir, "stderr.log"), "w") as f:
            f.write("\n".join(self.stderrLines) + "\n")
        return self.report()

    def report(self):
        """Sums of every count# in the output, and the last value of every sample#."""
        counts, samples = {}, {}
        with open(self.stdoutPath, errors="replace") as f:
            for line in f:
                for kind, name, value in self.METRIC.findall(line):
                    if kind == "count":
                        counts[name] = counts.get(name, 0) + float(value)
                    else:
                        samples.setdefault(name, []).append(float(value))
        return counts, samples

    @staticmethod
    def selfMetric(table, *words):
        """The dynostatsd.* entry whose name contains every word (None when the agent has none)."""
        for name, value in sorted(table.items()):
            if name.startswith("dynostatsd.") and all(w in name for w in words):
                return value
        return None

    def linesCounted(self, counts):
        return self.selfMetric(counts, "messages", "received")

    def flushMs(self, samples):
        values = self.selfMetric(samples, "flush", "duration")
        return max(values) if values else None

    def largestFlush(self):
        """(series, duration ms) of the flush with the most series, from the debug `msg=flushed` lines."""
        best = (None, None)
        for line in self.stderrLines:
            if "msg=flushed" not in line:
                continue
            series = re.search(r"\bseries=(\d+)", line)
            duration = re.search(r"\bduration_ms=([0-9.]+)", line)
            if series and duration and (best[0] is None or int(series.group(1)) > best[0]):
                best = (int(series.group(1)), float(duration.group(1)))
        return best


class IntakeSink:
    """A stand-in for the Datadog intake that accepts every request (202) and keeps only counts,
    so dynostatsd's flush runs its real serialize + compress + send path at no cost to the host."""

    def __init__(self, tls_cert=None, tls_key=None):
        import http.server

        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                sink.requests += 1
                sink.bytes += length
                self.send_response(202)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.requests = 0
        self.bytes = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        if tls_cert:  # https://localhost:PORT with this certificate (issued for localhost)
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls_cert, tls_key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.url = f"https://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class EtsyStatsd(Server):
    label = "etsy-statsd"

    def __init__(self, runDir, statsJs, backendJs, rcvbuf, flushInterval):
        super().__init__(runDir)
        self.statsJs = statsJs
        self.backendJs = backendJs
        self.rcvbuf = rcvbuf
        self.flushInterval = flushInterval

    def start(self):
        self.port = freePort(socket.SOCK_DGRAM)
        self.mgmtPort = freePort(socket.SOCK_STREAM)
        config = os.path.join(self.runDir, "config.js")
        with open(config, "w") as f:
            f.write(json.dumps({"port": self.port, "address": "127.0.0.1", "mgmt_address": "127.0.0.1",
                                "mgmt_port": self.mgmtPort, "flushInterval": self.flushInterval * 1000,
                                "backends": [self.backendJs], "dumpMessages": False,
                                "title": False}))
        # node offers no SO_RCVBUF setting to statsd: the socket gets net.core.rmem_default, which the
        # harness sets to the same size dynostatsd asks for while Etsy statsd runs.
        self.log = open(os.path.join(self.runDir, "stdout.log"), "w")
        started = time.monotonic()
        self.proc = subprocess.Popen(["node", self.statsJs, config], cwd=self.runDir, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = started + 15
        while time.monotonic() < deadline:
            if udpSocket(self.port) is not None:
                self.readyMs = (time.monotonic() - started) * 1000
                break
            if not self.alive():
                break
            time.sleep(0.001)
        if self.readyMs is None:
            self.kill()
            raise RuntimeError("Etsy statsd did not bind its UDP port within 15 s")
        while time.monotonic() < deadline:  # the management port comes up right after
            try:
                socket.create_connection(("127.0.0.1", self.mgmtPort), 0.2).close()
                return
            except OSError:
                time.sleep(0.005)
        raise RuntimeError("Etsy statsd management port did not open")

    def command(self, cmd):
        with socket.create_connection(("127.0.0.1", self.mgmtPort), 5) as s:
            s.sendall(cmd.encode() + b"\n")
            data = b""
            while b"END\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        return data.decode(errors="replace")

    def stats(self):
        out = {}
        for line in self.command("stats").splitlines():
            if ": " in line:
                key, value = line.split(": ", 1)
                try:
                    out[key] = float(value)
                except ValueError:
                    pass
        return out

    def linesCounted(self):
        """Lines statsd itself counted: flushed totals + the current interval, read atomically."""
        for _ in range(5):
            before = self.stats()
            counters = self.command("counters")
            after = self.stats()
            if before.get("bench.flushes") == after.get("bench.flushes"):
                match = re.search(r"'statsd\.metrics_received': (\d+)", counters)
                current = int(match.group(1)) if match else 0
                return int(after.get("bench.flushed_metrics_received", 0)) + current
        return None

    def flushMs(self):
        stats = self.stats()
        return stats.get("bench.processing_ms_last", 0) + stats.get("bench.serialize_ms_last", 0)

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


# ---------------------------------------------------------------- load and scenarios

class Bench:
    def __init__(self, args):
        self.args = args
        self.out = os.path.abspath(args.out)
        os.makedirs(os.path.join(self.out, "runs"), exist_ok=True)
        self.results = {}
        self.runCounter = 0
        self.rmemMaxFound = readSysctl("net.core.rmem_max")
        self.rmemDefaultFound = readSysctl("net.core.rmem_default")
        self.rmemNotes = []
        self.starts = {}  # target -> [(ready ms, the agent's own startup_ms)] over every start

    def log(self, text):
        print(text, file=sys.stderr, flush=True)

    def newRunDir(self, scenario, target, rep):
        self.runCounter += 1
        path = os.path.join(self.out, "runs", f"{scenario}-{target}-{rep}")
        os.makedirs(path, exist_ok=True)
        return path

    def loadgen(self, port, options, types, forEtsy, runDir=None):
        if forEtsy:
            types = ",".join(ETSY_TYPE_MAP.get(t, t) for t in types.split(","))
        cmd = [self.args.loadgen, "--port", str(port), "--types", types] + options
        if runDir:
            cmd += ["--expected", os.path.join(runDir, "expected.json")]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"loadgen failed ({result.returncode}): {result.stderr.strip()}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def makeServer(self, target, runDir, rcvbuf, flushInterval, extraEnv=None):
        if target == "dynostatsd":
            return Dynostatsd(runDir, self.args.agent, rcvbuf, flushInterval, extraEnv)
        # The kernel doubles an SO_RCVBUF request (bookkeeping overhead), so dynostatsd asking for
        # `rcvbuf` gets 2 x rcvbuf; node's socket gets rmem_default as is. Same buffer for both.
        if rcvbuf:
            writeSysctl("net.core.rmem_default", 2 * rcvbuf)
        return EtsyStatsd(runDir, self.args.etsy, self.args.etsy_backend, rcvbuf, flushInterval)

    def noteStart(self, target, server):
        self.starts.setdefault(target, []).append((server.readyMs, getattr(server, "selfStartupMs", None)))

    def finishServer(self, server):
        """Stops the server; returns (lines counted, extra figures)."""
        extra = {}
        if isinstance(server, EtsyStatsd):
            counted = server.linesCounted()
            server.stop()
            writeSysctl("net.core.rmem_default", self.rmemDefaultFound)
            return counted, extra
        counts, samples = server.stop()
        extra["counts"], extra["samples"] = counts, samples
        return server.linesCounted(counts), extra

    # One load run: start, send, wait until drained, measure, stop, count.
    def loadRun(self, scenario, target, rep, options, types, rcvbuf, flushInterval=10, check=False,
                profile=False):
        runDir = self.newRunDir(scenario, target, rep)
        server = self.makeServer(target, runDir, rcvbuf, flushInterval)
        try:
            server.start()
            self.noteStart(target, server)
            time.sleep(0.1)
            (user0, kernel0), precise0 = cpuSplit(server.pid), cpuSecondsPrecise(server.pid)
            sock0 = udpSocket(server.port)
            granted = socketRcvbuf(server.port)
            perf = None
            if profile:
                perf = subprocess.Popen(["perf", "record", "-q", "-F", "999", "-e", "cpu-clock", "-p",
                                         str(server.pid), "-o", os.path.join(self.out, "perf.data")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(0.3)
            t0 = time.monotonic()
            sent = self.loadgen(server.port, options, types, target != "dynostatsd",
                                runDir if check else None)
            drained = server.waitDrained()
            t1 = time.monotonic()
            (user1, kernel1), precise1 = cpuSplit(server.pid), cpuSecondsPrecise(server.pid)
            sock1 = udpSocket(server.port)
            if perf:
                perf.send_signal(signal.SIGINT)
                perf.wait(30)
            hwm = procStatusKb(server.pid, "VmHWM")
            rss = procStatusKb(server.pid, "VmRSS")
            counted, extra = self.finishServer(server)
        finally:
            server.kill()
        cpuKernel = kernel1 - kernel0
        cpu = user1 - user0 + cpuKernel
        row = {
            "lines_sent": sent["lines"], "datagrams_sent": sent["datagrams"], "bytes_sent": sent["bytes"],
            "send_seconds": sent["seconds"], "lines_counted": counted,
            "loss": None if counted is None else 1 - counted / sent["lines"],
            "cpu_seconds": cpu, "wall_seconds": t1 - t0, "cpu_percent": 100 * cpu / (t1 - t0),
            "cpu_percent_kernel": 100 * cpuKernel / (t1 - t0),
            # Per datagram received (sent x share counted): a datagram the kernel dropped cost the
            # sender, not the server.
            "kernel_ns_per_datagram": (1e9 * cpuKernel / (sent["datagrams"] * counted / sent["lines"])
                                       if counted and sent["datagrams"] else None),
            "cpu_seconds_schedstat": precise1 - precise0,
            "cpu_percent_schedstat": 100 * (precise1 - precise0) / (t1 - t0),
            "lines_per_cpu_second": (counted / cpu) if counted and cpu > 0 else None,
            "vmhwm_mb": hwm / 1024, "vmrss_mb": rss / 1024, "kernel_drops": sock1[1] - sock0[1],
            "rcvbuf_granted": granted, "drained": drained, "ready_ms": server.readyMs,
            "loadavg1": float(loadAverage().split()[0]),
        }
        if check and target == "dynostatsd" and row["loss"] == 0:
            row["counter_sums_exact"] = self.checkSums(runDir, extra.get("counts", {}))
        return row

    @staticmethod
    def checkSums(runDir, counts):
        """True when every counter's printed total equals what loadgen sent (tags summed)."""
        with open(os.path.join(runDir, "expected.json")) as f:
            expected = json.load(f)["counters"]
        printed = {}
        for name, value in counts.items():
            base = name.split(";")[0]
            printed[base] = printed.get(base, 0) + value
        return all(abs(printed.get(name, 0) - value) < 1e-6 for name, value in expected.items())

    # Idle RSS, RSS with N live contexts, start-to-ready, flush duration for N series.
    def memoryRun(self, target, rep, contexts, flushInterval):
        runDir = self.newRunDir(f"mem{contexts}", target, rep)
        sink = None
        if target == "dynostatsd":
            # Production mode: an API key, so each flush is serialized, compressed and sent.
            sink = IntakeSink()
            server = Dynostatsd(runDir, self.args.agent, self.args.rcvbuf, flushInterval, {
                "DD_API_KEY": "bench0000000000000000000000000000", "DD_DD_URL": sink.url,
                "DYNOSTATSD_VALIDATE_API_KEY": "false", "DD_LOG_LEVEL": "debug"})
        else:
            server = self.makeServer(target, runDir, self.args.rcvbuf, flushInterval)
        try:
            server.start()
            self.noteStart(target, server)
            time.sleep(0.2)
            idle0 = cpuSecondsPrecise(server.pid)
            time.sleep(1.0)
            idle1 = cpuSecondsPrecise(server.pid)
            row = {"idle_cpu_percent": 100 * (idle1 - idle0) / 1.0,"ready_ms": server.readyMs, "idle_rss_mb": procStatusKb(server.pid, "VmRSS") / 1024,
                   "idle_rss_anon_mb": procStatusKb(server.pid, "RssAnon") / 1024,
                   "idle_rss_file_mb": procStatusKb(server.pid, "RssFile") / 1024,
                   "idle_pss_mb": pssKb(server.pid) / 1024,
                   "self_startup_ms": getattr(server, "selfStartupMs", None)}
            perDatagram = 20
            sent = self.loadgen(server.port, ["--lines", str(contexts), "--names", str(contexts), "--tags", "3",
                                              "--per-datagram", str(perDatagram), "--rate", "4000"],
                                "c", target != "dynostatsd")
            server.waitDrained()
            row["contexts_sent"] = sent["lines"]
            row["rss_mb"] = procStatusKb(server.pid, "VmRSS") / 1024
            row["rss_anon_mb"] = procStatusKb(server.pid, "RssAnon") / 1024
            row["pss_mb"] = pssKb(server.pid) / 1024
            # Two flush intervals: the one holding the contexts, and the next that reports its duration.
            time.sleep(2 * flushInterval + 0.5)
            row["vmhwm_mb"] = procStatusKb(server.pid, "VmHWM") / 1024
            if isinstance(server, EtsyStatsd):
                row["flush_ms"] = server.flushMs()
                row["flush_series"] = server.stats().get("bench.series_last")
                row["lines_counted"] = server.linesCounted()
                server.stop()
                writeSysctl("net.core.rmem_default", self.rmemDefaultFound)
            else:
                server.stop()
                row["flush_series"], row["flush_ms"] = server.largestFlush()
                row["intake_requests"], row["intake_bytes"] = sink.requests, sink.bytes
        finally:
            server.kill()
            if sink:
                sink.stop()
        return row

    def repeat(self, key, target, fn):
        rows = []
        for rep in range(self.args.repeats):
            try:
                rows.append(fn(rep))
            except Exception as error:  # a broken target must not stop the other's measurements
                self.log(f"  {key} {target} rep {rep}: ERROR {error}")
                rows.append({"error": str(error)})
        summary = summarize(rows)
        self.results.setdefault(key, {})[target] = summary
        self.log(f"  {key:<14} {target:<11} " + " ".join(
            f"{k}={fmt(v)}" for k, v in summary.items() if k in SHOW))
        return summary

    def run(self):
        a = self.args
        targets = [t for t in ("dynostatsd", "etsy-statsd") if t in a.targets.split(",")]
        scenarios = a.scenarios.split(",")
        self.log(f"bench: targets={','.join(targets)} repeats={a.repeats} loadavg={loadAverage()}")
        self.log(f"bench: net.core.rmem_max={self.rmemMaxFound} rmem_default={self.rmemDefaultFound}")
        try:
            if "1" in scenarios:
                self.scenarioBurst(targets)
            for target in targets:
                if "2" in scenarios:
                    self.repeat("2-packed", target, lambda rep, t=target: self.loadRun(
                        "2-packed", t, rep, ["--lines", str(a.packed_lines), "--per-datagram", "20", "--names",
                                            "1000", "--tags", "3"], MIXED, a.rcvbuf, check=True,
                        profile=(a.profile and t == "dynostatsd" and rep == 0)))
                if "8" in scenarios:
                    # The realistic mix (line_factory.h): per-name tag values, host: tags, 5,000
                    # distinct members per set, decimal timers; packed, then 50k single-line/s.
                    self.repeat("8-packed-realistic", target, lambda rep, t=target: self.loadRun(
                        "8-packed-realistic", t, rep, ["--lines", str(a.packed_lines), "--per-datagram", "20",
                                                      "--names", "1000", "--tags", "3", "--realistic"], MIXED,
                        a.rcvbuf, check=True))
                    self.repeat("8-50k-realistic", target, lambda rep, t=target: self.loadRun(
                        "8-50k-realistic", t, rep, ["--rate", "50000", "--duration", str(a.duration), "--names",
                                                   "1000", "--tags", "3", "--realistic"], MIXED, a.rcvbuf,
                        check=True))
                if "3" in scenarios:
                    self.repeat("3-50k", target, lambda rep, t=target: self.loadRun(
                        "3-50k", t, rep, ["--rate", "50000", "--duration", str(a.duration), "--names", "1000",
                                         "--tags", "3"], MIXED, a.rcvbuf, check=True))
                    # DD_DOGSTATSD_SO_RCVBUF=0: no SO_RCVBUF request, the socket gets
                    # net.core.rmem_default (the agent's own default asks for 4 MiB).
                    self.repeat("3-50k-default-rcvbuf", target, lambda rep, t=target: self.loadRun(
                        "3-50k-default-rcvbuf", t, rep, ["--rate", "50000", "--duration", str(a.duration),
                                                        "--names", "1000", "--tags", "3"], MIXED, 0))
                if "4" in scenarios:
                    self.repeat("4-10k", target, lambda rep, t=target: self.loadRun(
                        "4-10k", t, rep, ["--rate", "10000", "--duration", str(a.duration), "--names", "1000",
                                         "--tags", "3"], MIXED, a.rcvbuf, check=True))
                if "7" in scenarios and t_is_ours(target):
                    # What-if: the same rates arriving in 2 ms bursts, i.e. what a receiver that
                    # drains the socket every 2 ms (instead of waking per datagram) would pay.
                    for rate in (10000, 50000):
                        self.repeat(f"7-{rate // 1000}k-burst2ms", target, lambda rep, t=target, r=rate: self.loadRun(
                            f"7-{r // 1000}k-burst2ms", t, rep, ["--rate", str(r), "--duration", str(a.duration),
                                                                 "--names", "1000", "--tags", "3", "--tick-us", "2000"],
                            MIXED, a.rcvbuf))
                if "5" in scenarios:
                    for contexts in (10000, 100000):
                        self.repeat(f"5-ctx{contexts // 1000}k", target, lambda rep, t=target, n=contexts:
                                    self.memoryRun(t, rep, n, a.mem_flush_interval))
        finally:
            writeSysctl("net.core.rmem_max", self.rmemMaxFound)
            writeSysctl("net.core.rmem_default", self.rmemDefaultFound)
        for target, starts in self.starts.items():
            self.results.setdefault("0-start", {})[target] = summarize(
                [{"ready_ms": ready, "self_startup_ms": own} for ready, own in starts])
        self.results["_machine"] = machine(self)
        with open(os.path.join(self.out, "results.json"), "w") as f:
            json.dump(self.results, f, indent=1, sort_keys=True)
        table = markdown(self.results)
        with open(os.path.join(self.out, "results.md"), "w") as f:
            f.write(table)
        print(table)

    def scenarioBurst(self, targets):
        """1 M single-line counters at full speed: with the buffer asked for (capped by rmem_max as
        found), and again with rmem_max raised (root only) so the full request is granted."""
        a = self.args
        options = ["--lines", str(a.burst_lines), "--names", "100"]
        variants = [("1-burst", a.rcvbuf, None)]
        if a.raised_rcvbuf and os.geteuid() == 0:
            variants.append(("1-burst-raised", a.raised_rcvbuf, a.raised_rcvbuf))
        for key, rcvbuf, rmemMax in variants:
            if rmemMax and writeSysctl("net.core.rmem_max", max(rmemMax, self.rmemMaxFound)):
                self.rmemNotes.append(f"{key}: net.core.rmem_max raised to {readSysctl('net.core.rmem_max')}")
            for target in targets:
                self.repeat(key, target, lambda rep, t=target, r=rcvbuf: self.loadRun(
                    key, t, rep, options, "c", r, check=True))
            writeSysctl("net.core.rmem_max", self.rmemMaxFound)


def t_is_ours(target):
    return target == "dynostatsd"


SHOW = {"cpu_percent_kernel", "kernel_ns_per_datagram", "idle_cpu_percent", "idle_pss_mb", "pss_mb", "lines_sent", "lines_counted", "loss", "cpu_seconds", "cpu_percent", "cpu_percent_schedstat", "idle_rss_anon_mb",
        "rss_anon_mb", "self_startup_ms", "flush_series", "lines_per_cpu_second", "vmhwm_mb",
        "kernel_drops", "idle_rss_mb", "rss_mb", "ready_ms", "flush_ms", "counter_sums_exact", "errors"}


def summarize(rows):
    """Median of every numeric figure over the runs that did not fail."""
    good = [r for r in rows if "error" not in r]
    out = {"runs": len(good), "errors": len(rows) - len(good)}
    if len(rows) != len(good):
        out["error"] = next(r["error"] for r in rows if "error" in r)
    for key in sorted({k for r in good for k in r}):
        values = [r[key] for r in good if r.get(key) is not None]
        if not values:
            out[key] = None
        elif all(isinstance(v, bool) for v in values):
            out[key] = all(values)
        else:
            out[key] = statistics.median(values)
            out[key + "_all"] = values
    return out


def fmt(value, digits=3):
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3g}"
        return f"{value:.{digits}g}" if abs(value) < 1 else f"{value:,.{max(0, digits - len(str(int(abs(value)))))}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def machine(bench):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count(), "cpu": cpu, "kernel": os.uname().release, "loadavg_end": loadAverage(),
            "rmem_max_found": bench.rmemMaxFound, "rmem_default_found": bench.rmemDefaultFound,
            "rmem_notes": bench.rmemNotes, "repeats": bench.args.repeats}


# (row label, scenario key, figure, target text, unit scale, lower-is-better, target predicate)
TABLE = [
    ("1 M single-line counters, full speed: loss (SO_RCVBUF 4 MB)", "1-burst", "loss", "0", "pct", True,
     lambda v: v == 0),
    ("  same: kernel receive-buffer drops", "1-burst", "kernel_drops", "0", "int", True, lambda v: v == 0),
    ("  same: lines per CPU-second", "1-burst", "lines_per_cpu_second", "-", "M", False, None),
    ("  same, rmem_max raised (SO_RCVBUF 16 MB): loss", "1-burst-raised", "loss", "0", "pct", True,
     lambda v: v == 0),
    ("5 M lines, ~20/datagram, 3 tags, mixed: lines per CPU-second", "2-packed", "lines_per_cpu_second",
     ">= 5 M", "M", False, lambda v: v >= 5e6),
    ("  same: loss (full-speed sender)", "2-packed", "loss", "-", "pct", True, None),
    ("realistic mix, 5 M lines, ~20/datagram: lines per CPU-second", "8-packed-realistic",
     "lines_per_cpu_second", ">= 8 M", "M", False, lambda v: v >= 8e6),
    ("  same: loss (full-speed sender)", "8-packed-realistic", "loss", "-", "pct", True, None),
    ("  same: kernel time per datagram of ~20 lines (ns)", "8-packed-realistic", "kernel_ns_per_datagram", "-",
     "int", True, None),
    ("realistic mix, 50,000 datagrams/s: CPU % of one core", "8-50k-realistic", "cpu_percent", "<= 4 %", "pct1",
     True, lambda v: v <= 4),
    ("  same: of which kernel time (stime: receive calls, wake-ups)", "8-50k-realistic", "cpu_percent_kernel",
     "-", "pct1", True, None),
    ("  same: loss", "8-50k-realistic", "loss", "0", "pct", True, lambda v: v == 0),
    ("50,000 datagrams/s for 10 s: CPU % of one core", "3-50k", "cpu_percent", "<= 15 %", "pct1", True,
     lambda v: v <= 15),
    ("  same: loss", "3-50k", "loss", "0", "pct", True, lambda v: v == 0),
    ("  same, DD_DOGSTATSD_SO_RCVBUF=0 (OS default buffer): loss", "3-50k-default-rcvbuf", "loss", "-", "pct", True,
     None),
    ("10,000 datagrams/s for 10 s: CPU % of one core", "4-10k", "cpu_percent", "<= 3 %", "pct1", True,
     lambda v: v <= 3),
    ("Idle CPU % (1 s after start, no traffic)", "5-ctx10k", "idle_cpu_percent", "-", "pct2", True, None),
    ("Idle RSS (MB)", "5-ctx10k", "idle_rss_mb", "<= 4", "mb", True, lambda v: v <= 4),
    ("  idle: anonymous (private) part of RSS (MB)", "5-ctx10k", "idle_rss_anon_mb", "-", "mb", True, None),
    ("  idle: PSS (MB)", "5-ctx10k", "idle_pss_mb", "-", "mb", True, None),
    ("RSS with 10 k live contexts (MB, after ingest)", "5-ctx10k", "rss_mb", "-", "mb", True, None),
    ("RSS with 10 k live contexts (MB, peak)", "5-ctx10k", "vmhwm_mb", "<= 16", "mb", True, lambda v: v <= 16),
    ("RSS with 100 k live contexts (MB, after ingest)", "5-ctx100k", "rss_mb", "-", "mb", True, None),
    ("RSS with 100 k live contexts (MB, peak)", "5-ctx100k", "vmhwm_mb", "<= 96", "mb", True, lambda v: v <= 96),
    ("Start to ready (ms; spawn to `msg=ready`, every start)", "0-start", "ready_ms", "<= 20", "ms", True,
     lambda v: v <= 20),
    ("  same, as the agent measures it (`startup_ms`)", "0-start", "self_startup_ms", "-", "ms", True, None),
    ("Flush of 10 k series (ms)", "5-ctx10k", "flush_ms", "-", "ms", True, None),
    ("Flush of 100 k series (ms)", "5-ctx100k", "flush_ms", "<= 150", "ms", True, lambda v: v <= 150),
    ("What-if: 10,000 datagrams/s arriving in 2 ms bursts: CPU %", "7-10k-burst2ms", "cpu_percent", "-", "pct1",
     True, None),
    ("What-if: 50,000 datagrams/s arriving in 2 ms bursts: CPU %", "7-50k-burst2ms", "cpu_percent", "-", "pct1",
     True, None),
]


def show(value, unit):
    if value is None:
        return "n/a"
    if unit == "pct":
        return f"{100 * value:.2f} %"
    if unit == "pct2":
        return f"{value:.2f} %"
    if unit == "pct1":
        return f"{value:.1f} %"
    if unit == "M":
        return f"{value / 1e6:.2f} M"
    if unit == "mb":
        return f"{value:.1f}"
    if unit == "ms":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def markdown(results):
    lines = ["| figure | target | dynostatsd | Etsy statsd | ours ÷ theirs | met? |",
             "|---|---|---|---|---|---|"]
    for label, key, figure, target, unit, _, met in TABLE:
        if key not in results:
            continue  # scenario not run
        ours = results.get(key, {}).get("dynostatsd", {}).get(figure)
        theirs = results.get(key, {}).get("etsy-statsd", {}).get(figure)
        ratio = "n/a"
        if isinstance(ours, (int, float)) and isinstance(theirs, (int, float)) and theirs:
            ratio = f"{ours / theirs:.2f}"
        verdict = "-" if met is None or ours is None else ("yes" if met(ours) else "**no**")
        lines.append(f"| {label} | {target} | {show(ours, unit)} | {show(theirs, unit)} | {ratio} | {verdict} |")
    lines.append("")
    lines.append("| scenario | server | runs | lines sent | lines counted | loss | CPU s | lines/CPU-s | CPU % | "
                 "peak RSS MB | kernel drops | rcvbuf granted |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for key in sorted(k for k in results if not k.startswith("_") and k != "0-start"):
        for target, row in sorted(results[key].items()):
            lines.append(
                f"| {key} | {target} | {row.get('runs')} | {show(row.get('lines_sent') or row.get('contexts_sent'), 'int')} "
                f"| {show(row.get('lines_counted'), 'int')} | {show(row.get('loss'), 'pct')} "
                f"| {fmt(row.get('cpu_seconds'))} | {show(row.get('lines_per_cpu_second'), 'M')} "
                f"| {show(row.get('cpu_percent'), 'pct1')} | {show(row.get('vmhwm_mb'), 'mb')} "
                f"| {show(row.get('kernel_drops'), 'int')} | {show(row.get('rcvbuf_granted'), 'int')} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", required=True)
    parser.add_argument("--loadgen", required=True)
    parser.add_argument("--etsy", help="Etsy statsd's stats.js")
    parser.add_argument("--etsy-backend", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                               "etsy_backend.js"))
    parser.add_argument("--targets", default="dynostatsd,etsy-statsd")
    parser.add_argument("--scenarios", default="1,2,3,4,5,8")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rcvbuf", type=int, default=4 * MIB)
    parser.add_argument("--raised-rcvbuf", type=int, default=16 * MIB)
    parser.add_argument("--burst-lines", type=int, default=1_000_000)
    parser.add_argument("--packed-lines", type=int, default=5_000_000)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--mem-flush-interval", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="perf record dynostatsd during scenario 2")
    parser.add_argument("--out", default="bench/out")
    args = parser.parse_args()
    for name in ("agent", "loadgen", "etsy", "etsy_backend"):
        if getattr(args, name):
            setattr(args, name, os.path.abspath(getattr(args, name)))
    if "etsy-statsd" in args.targets and not args.etsy:
        args.targets = "dynostatsd"
    Bench(args).run()


if __name__ == "__main__":
    main()
