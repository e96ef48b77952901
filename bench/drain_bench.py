"""Drain mode figures: log lines per CPU-second and memory with many source apps.

    /usr/bin/python3 bench/drain_bench.py [--batches 1500] [--apps 100] [--bin build/agent/dynostatsd]

Starts `dynostatsd drain` on a free loopback port (l2met report to /dev/null, no API key), then
1. throughput: POSTs the same router-heavy ~100 KiB Logplex batch (Logplex's target body size;
   85 % router lines, 5 % router errors, 5 % l2met, 3 % runtime metrics, 2 % plain output) over
   two keep-alive connections, `--batches` times; reports lines per CPU-second of the drain
   process (on-CPU time of all its threads from /proc/<pid>/task/*/schedstat, flushes included);
2. memory: POSTs batches for `--apps` source apps (each with 5 dynos x 6 statuses x 2 methods),
   and reports VmRSS / VmHWM and the live contexts after a flush.
Loopback only; every loop is bounded in count and time.
"""

import argparse
import base64
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import cpuSecondsPrecise, procStatusKb  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CREDENTIALS = "bench:bench-password"


def frame(message):
    data = (message + "\n").encode()
    return str(len(data)).encode() + b" " + data


def router(rng, dyno, status, method):
    return ('<158>1 2026-07-22T00:06:26.%06d+00:00 host heroku router - at=info method=%s path="/items/%d?page=%d" '
            'host=shop.herokuapp.com request_id=%08x-6a7b-4a5e-9e1f-%012x fwd="203.0.113.%d" dyno=%s '
            'connect=%dms service=%dms status=%d bytes=%d protocol=https'
            % (rng.randrange(10**6), method, rng.randrange(10**6), rng.randrange(50), rng.getrandbits(32),
               rng.getrandbits(48), rng.randrange(256), dyno, rng.randrange(5), rng.randrange(1, 900), status,
               rng.randrange(100, 90000)))


def mixed_batch(rng, target_bytes=100 * 1024):
    frames, lines = [], 0
    size = 0
    while size < target_bytes:
        roll = rng.random()
        dyno = "web.%d" % rng.randrange(1, 5)
        if roll < 0.85:
            message = router(rng, dyno, rng.choice([200, 200, 200, 200, 304, 301, 404, 500]), rng.choice(["GET", "GET", "POST"]))
        elif roll < 0.90:
            message = ('<158>1 2026-07-22T00:06:27.000000+00:00 host heroku router - at=error code=H12 '
                       'desc="Request timeout" method=GET path="/slow" host=shop.herokuapp.com request_id=x '
                       'fwd="203.0.113.1" dyno=%s connect=0ms service=30000ms status=503 bytes=0 protocol=https' % dyno)
        elif roll < 0.95:
            message = ('<190>1 2026-07-22T00:06:31.000000+00:00 host app %s - source=api count#orders.placed=1 '
                       'measure#db.query=%.1fms sample#queue.depth=%d' % (dyno, rng.random() * 50, rng.randrange(20)))
        elif roll < 0.98:
            message = ('<45>1 2026-07-22T00:06:29.000000+00:00 host heroku %s - source=%s dyno=heroku.1.abc '
                       'sample#memory_total=%.2fMB sample#memory_rss=21.22MB sample#memory_cache=0.00MB '
                       'sample#memory_swap=0.00MB sample#memory_quota=512.00MB' % (dyno, dyno, rng.random() * 500))
        else:
            message = '<190>1 2026-07-22T00:06:31.100000+00:00 host app %s - Started GET "/" for 203.0.113.7' % dyno
        data = frame(message)
        frames.append(data)
        size += len(data)
        lines += 1
    return b"".join(frames), lines


def request(app, body, frame_id=None):
    auth = base64.b64encode(CREDENTIALS.encode()).decode()
    head = ("POST /logs/%s HTTP/1.1\r\nHost: drain\r\nAuthorization: Basic %s\r\n"
            "Content-Type: application/logplex-1\r\nContent-Length: %d\r\n" % (app, auth, len(body)))
    if frame_id:
        head += "Logplex-Frame-Id: %s\r\n" % frame_id
    return (head + "\r\n").encode() + body


def read_response(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("connection closed")
        data += chunk
    return data


def post_many(port, payloads, deadline):
    """Sends each payload on one keep-alive connection, waiting for each answer; returns 2xx count."""
    ok = 0
    sock = socket.create_connection(("127.0.0.1", port))
    try:
        for payload in payloads:
            if time.monotonic() > deadline:
                break
            sock.sendall(payload)
            if read_response(sock).startswith(b"HTTP/1.1 204"):
                ok += 1
    finally:
        sock.close()
    return ok


def start(binary, flush, stdout=subprocess.DEVNULL):
    env = {"PATH": "/usr/bin:/bin", "DYNOSTATSD_DRAIN_CREDENTIALS": CREDENTIALS, "PORT": "0",
           "DYNOSTATSD_DRAIN_BIND_HOST": "127.0.0.1", "DYNOSTATSD_FLUSH_INTERVAL": str(flush)}
    proc = subprocess.Popen([binary, "drain"], env=env, stdout=stdout, stderr=subprocess.PIPE)
    line = proc.stderr.readline().decode()
    match = re.search(r"drain=127\.0\.0\.1:(\d+)", line)
    if not match:
        proc.kill()
        raise RuntimeError("no ready line: " + line)
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    return proc, int(match.group(1))


def throughput(binary, batches):
    rng = random.Random(42)
    body, lines = mixed_batch(rng)
    proc, port = start(binary, 10)
    try:
        payload = request("shop", body)
        deadline = time.monotonic() + 120
        halves = [batches // 2, batches - batches // 2]
        cpu0, wall0 = cpuSecondsPrecise(proc.pid), time.monotonic()
        results = [0, 0]
        threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, post_many(port, [payload] * halves[i], deadline)))
                   for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cpu, wall = cpuSecondsPrecise(proc.pid) - cpu0, time.monotonic() - wall0
        answered = sum(results)
        total = answered * lines
        return {"batches": answered, "lines_per_batch": lines, "body_bytes": len(body), "lines": total,
                "cpu_s": cpu, "wall_s": wall, "lines_per_cpu_s": total / cpu, "rss_kb": procStatusKb(proc.pid, "VmRSS")}
    finally:
        proc.terminate()
        proc.wait(30)


def memory(binary, apps):
    rng = random.Random(7)
    report = tempfile.TemporaryFile("w+")  # the l2met report, for the live-context count
    proc, port = start(binary, 2, stdout=report)
    try:
        idle = procStatusKb(proc.pid, "VmRSS")
        payloads = []
        for a in range(apps):
            frames = []
            for dyno in range(1, 6):
                for status in (200, 201, 304, 404, 500, 503):
                    for method in ("GET", "POST"):
                        frames.append(frame(router(rng, "web.%d" % dyno, status, method)))
            frames.append(frame('<45>1 2026-07-22T00:06:29.000000+00:00 host heroku web.1 - source=web.1 '
                                'sample#memory_total=100.00MB sample#memory_rss=90.00MB sample#load_avg_1m=0.5'))
            payloads.append(request("source-app-%03d" % a, b"".join(frames), frame_id="%032x" % rng.getrandbits(128)))
        deadline = time.monotonic() + 60
        for _ in range(3):  # three rounds, as Logplex would keep sending
            post_many(port, payloads, deadline)
        time.sleep(2.5)  # a flush: the contexts are all live, their series built and sent
        rss, hwm = procStatusKb(proc.pid, "VmRSS"), procStatusKb(proc.pid, "VmHWM")
        report.flush()
        report.seek(0)
        live = re.findall(r"sample#dynostatsd\.contexts\.live=(\d+)", report.read())
        return {"apps": apps, "rss_idle_kb": idle, "rss_kb": rss, "hwm_kb": hwm,
                "contexts": max(int(v) for v in live) if live else -1}
    finally:
        proc.terminate()
        proc.wait(30)
        report.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.path.join(REPO, "build", "agent", "dynostatsd"))
    parser.add_argument("--batches", type=int, default=1500)
    parser.add_argument("--apps", type=int, default=100)
    args = parser.parse_args()
    t = throughput(args.bin, min(args.batches, 5000))
    print("throughput: %(batches)d batches x %(lines_per_batch)d lines (%(body_bytes)d bytes): %(lines)d lines, "
          "%(cpu_s).3f CPU s, %(wall_s).2f s wall -> %(lines_per_cpu_s).0f lines/CPU-s, RSS %(rss_kb)d kB" % t)
    m = memory(args.bin, min(args.apps, 1000))
    print("memory: %(apps)d source apps: RSS idle %(rss_idle_kb)d kB, after %(rss_kb)d kB, peak (VmHWM) "
          "%(hwm_kb)d kB, %(contexts)d live contexts" % m)


if __name__ == "__main__":
    main()
