#!/usr/bin/env python3
"""Agent CPU at a paced datagram rate with the StatsD relay off and on (bench/RESULTS.md).

    python3 bench/relay_cpu.py --agent build/agent/dynostatsd --loadgen build/bench/loadgen \
        [--rate 50000] [--duration 10] [--reps 3] [--upstreams 2]

Same load as harness scenario 3 (1 line per datagram, mixed types, 3 tags, 1000 names). With the
relay on, the agent forwards to `--upstreams` UDP sockets on loopback read by this script (in a
thread), which counts the relayed lines: loss = 1 - relayed / sent, besides the agent's own count.
CPU is the agent's on-CPU time (schedstat, all threads) over the run's wall time.
"""

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class Upstreams:
    def __init__(self, n):
        self.socks, self.lines, self.stop = [], [0] * n, False
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
            s.bind(("127.0.0.1", 0))
            s.settimeout(0.2)
            self.socks.append(s)
        self.threads = [threading.Thread(target=self.read, args=(i,), daemon=True) for i in range(n)]
        for t in self.threads:
            t.start()

    def read(self, i):
        while not self.stop:
            try:
                self.lines[i] += self.socks[i].recv(65536).count(b"\n") + 1
            except socket.timeout:
                pass

    def addresses(self):
        return ",".join("127.0.0.1:%d" % s.getsockname()[1] for s in self.socks)

    def close(self):
        self.stop = True
        for t in self.threads:
            t.join()


def run(args, relay):
    run_dir = tempfile.mkdtemp(prefix="relay-bench-")
    upstreams = Upstreams(args.upstreams) if relay else None
    env = {"DYNOSTATSD_STATSD_RELAY": upstreams.addresses()} if relay else {}
    server = harness.Dynostatsd(run_dir, args.agent, 4 << 20, 10, env)
    server.start()
    try:
        time.sleep(0.2)
        cpu0, t0 = harness.cpuSecondsPrecise(server.pid), time.monotonic()
        cmd = [args.loadgen, "--port", str(server.port), "--types", harness.MIXED, "--rate", str(args.rate),
               "--duration", str(args.duration), "--names", "1000", "--tags", "3"]
        import json
        import subprocess
        sent = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
        server.waitDrained()
        time.sleep(0.1)  # the relay's last batch leaves within 20 ms
        cpu1, t1 = harness.cpuSecondsPrecise(server.pid), time.monotonic()
        counts, _ = server.stop()
    finally:
        server.kill()
    relayed = None
    if upstreams:
        time.sleep(0.3)
        upstreams.close()
        relayed = sum(upstreams.lines)
    counted = server.linesCounted(counts)
    return {"cpu_percent": 100 * (cpu1 - cpu0) / (t1 - t0), "lines_sent": sent["lines"], "counted": counted,
            "relayed": relayed}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agent", default="build/agent/dynostatsd")
    parser.add_argument("--loadgen", default="build/bench/loadgen")
    parser.add_argument("--rate", type=int, default=50000)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--upstreams", type=int, default=2)
    args = parser.parse_args()
    args.agent, args.loadgen = os.path.abspath(args.agent), os.path.abspath(args.loadgen)
    results = {False: [], True: []}
    for rep in range(args.reps):
        for relay in (False, True):  # interleaved, so load on the shared host hits both alike
            row = run(args, relay)
            results[relay].append(row)
            print("rep=%d relay=%s cpu=%.2f%% sent=%d counted=%s relayed=%s" %
                  (rep, "on" if relay else "off", row["cpu_percent"], row["lines_sent"], row["counted"],
                   row["relayed"]), flush=True)
    off = statistics.median(r["cpu_percent"] for r in results[False])
    on = statistics.median(r["cpu_percent"] for r in results[True])
    lost = sum(r["lines_sent"] - (r["relayed"] or 0) for r in results[True])
    print("median cpu: relay off %.2f%%, relay on %.2f%% (x%.2f); relay lines lost: %d" % (off, on, on / off, lost))


if __name__ == "__main__":
    main()
