#!/usr/bin/python3
"""Loss behind a slow intake (issue 15 item 2): how many counts arrive when every request takes
LATENCY seconds to be answered.

Runs, for each latency: the fake intake (test/e2e/fake_intake.py, schema validation off, every
answer delayed), the agent pointed at it, and bench's loadgen sending RATE counter datagrams/s
over NAMES contexts for SECONDS; then SIGTERM (final flush + drain within the shutdown deadline)
and compares the per-name sums loadgen sent with what the intake accepted (Σ value × interval).
Prints one JSON line per latency and a Markdown table. Loopback only, bounded in time.

  bench/slow_intake.py --agent build/agent/dynostatsd --loadgen build/bench/loadgen \\
      [--latency 2 --latency 5] [--rate 50000] [--seconds 60] [--names 10000]
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "e2e"))
from fake_intake import FakeIntake  # noqa: E402

API_KEY = "bench5low" + "0123456789abcdef" * 2


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args, latency, workdir):
    schemas = os.path.join(workdir, "no-schemas.json")
    with open(schemas, "w", encoding="utf-8") as handle:
        json.dump({"v1": {"schemas": {}}, "v2": {"schemas": {}}}, handle)
    intake = FakeIntake(schemas_path=schemas).start()
    intake.delay(latency)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DD_API_KEY": API_KEY, "DD_DD_URL": intake.url,
           "DYNO": "web.1", "DD_DOGSTATSD_PORT": str(free_udp_port()), "DYNOSTATSD_VALIDATE_API_KEY": "false"}
    agent = subprocess.Popen([args.agent, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
    log = []
    while True:
        line = agent.stderr.readline()
        if not line:
            raise RuntimeError("the agent exited before msg=ready:\n" + "".join(log))
        log.append(line.rstrip("\n"))
        if "msg=ready" in line:
            break
    port = int(re.search(r"udp=127\.0\.0\.1:(\d+)", line).group(1))
    expected_path = os.path.join(workdir, "expected-%s.json" % latency)
    started = time.monotonic()
    load = subprocess.run([args.loadgen, "--port", str(port), "--names", str(args.names), "--types", "c",
                           "--tags", "0", "--rate", str(args.rate), "--duration", str(args.seconds),
                           "--expected", expected_path], capture_output=True, text=True, check=True)
    agent.send_signal(signal.SIGTERM)
    stopping = time.monotonic()
    _, err = agent.communicate(timeout=60)
    stopped = time.monotonic()
    log += err.splitlines()
    intake.stop()
    with open(expected_path, encoding="utf-8") as handle:
        expected = json.load(handle)["counters"]
    received = {}
    payloads = 0
    for record in intake.accepted("/api/v2/series"):
        payloads += 1
        for series in record["body"]["series"]:
            name = series["metric"]
            if name in expected:
                received[name] = received.get(name, 0.0) + sum(
                    p["value"] * series["interval"] for p in series["points"])
    sent = sum(expected.values())
    got = sum(received.values())
    undelivered = [l for l in log if "shutdown_deadline" in l]
    dropped = [l for l in log if "payload dropped" in l]
    return {
        "latency_s": latency, "rate": args.rate, "seconds": args.seconds, "names": args.names,
        "datagrams_sent": json.loads(load.stdout)["datagrams"], "counts_sent": sent,
        "counts_received": round(got), "lost_pct": round(100.0 * (sent - got) / sent, 3) if sent else 0,
        "series_payloads": payloads, "run_s": round(stopped - started, 1),
        "shutdown_s": round(stopped - stopping, 1), "shutdown_deadline_lines": undelivered[:1],
        "dropped_lines": len(dropped),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--loadgen", required=True)
    parser.add_argument("--latency", type=float, action="append")
    parser.add_argument("--rate", type=int, default=50000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--names", type=int, default=10000)
    args = parser.parse_args()
    latencies = args.latency or [2.0, 5.0]
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for latency in latencies:
            row = run(args, latency, workdir)
            print(json.dumps(row), flush=True)
            rows.append(row)
    print("\n| intake latency | load | counts sent | received | lost | series payloads | shutdown |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %.0f s | %d datagrams/s x %d s, %d contexts | %d | %d | %.3f %% | %d | %.1f s |" % (
            r["latency_s"], r["rate"], r["seconds"], r["names"], r["counts_sent"], r["counts_received"],
            r["lost_pct"], r["series_payloads"], r["shutdown_s"]))


if __name__ == "__main__":
    main()
