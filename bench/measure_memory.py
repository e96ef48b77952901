#!/usr/bin/python3
"""The agent's memory footprint, as in README.md ("Performance") and bench/RESULTS.md.

  /usr/bin/python3 bench/measure_memory.py BIN LOADGEN [--contexts 10000,100000] [--smaps] [--runs N]
                                           [--sinks datadog|otlp|otlp-cumulative|datadog+otlp]
                                           [--tls [--http-clients native,curl]]

BIN: a dynostatsd binary; LOADGEN: bench's load generator (cmake --build <dir> --target loadgen).
Figures come from /proc/<pid>/status (VmRSS, RssAnon, RssFile, VmHWM), PSS and USS (private
clean + dirty) from /proc/<pid>/smaps_rollup and, with --smaps, a resident-kB-per-mapping
breakdown from /proc/<pid>/smaps.
  idle log-only   no DD_API_KEY, 1.2 s after the ready line
  idle key        DD_API_KEY set, DD_DD_URL = a local intake that answers 202 at once
  idle key https  (--tls) the same over https://localhost with a throwaway CA trusted through
                  SSL_CERT_FILE (one root, as the default hashed /etc/ssl/certs lookup loads), the
                  key validated at start (one TLS handshake); once per --http-clients value
  idle key https, whole bundle
                  (--tls) the same, SSL_CERT_FILE = the system bundle + that CA (every root parsed)
  N contexts      with the key: N distinct counters (3 tags, 20 lines per datagram, 4000
                  datagrams/s, what bench/harness.py scenario 5 sends), RSS 0.5 s after the last
                  datagram, then VmRSS and VmHWM (the peak) after two 2 s flush intervals
Loopback only; every agent is stopped with SIGTERM.
"""

import argparse
import os
import re
import socket
import statistics
import subprocess
import threading
import time

from harness import IntakeSink as Intake  # answers 202 to everything, keeps counts
from harness import freePort

STATUS_FIELDS = ("VmRSS", "VmHWM", "RssAnon", "RssFile")


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in STATUS_FIELDS:
                out[key] = int(value.split()[0])
    return out


def rollup(pid):
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Pss", "Private_Clean", "Private_Dirty"):
                out[key] = int(value.split()[0])
    return out


def smaps_by_mapping(pid):
    resident = {}
    name = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split()
                name = os.path.basename(parts[5]) if len(parts) > 5 else "[anon]"
            elif line.startswith("Rss:"):
                resident[name] = resident.get(name, 0) + int(line.split()[1])
    return sorted(resident.items(), key=lambda kv: -kv[1])


# --sinks: which outputs the agents with a "key" send to (all to the same local intake, which
# answers 202: success for Datadog and OTLP alike).
SINKS = {
    "datadog": lambda url: {"DD_API_KEY": "bench0000000000000000000000000000", "DD_DD_URL": url,
                            "DYNOSTATSD_VALIDATE_API_KEY": "false"},
    "otlp": lambda url: {"OTEL_EXPORTER_OTLP_ENDPOINT": url},
    "otlp-cumulative": lambda url: {"OTEL_EXPORTER_OTLP_ENDPOINT": url,
                                    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "cumulative"},
}


class Agent:
    def __init__(self, binary, intake_url=None, sinks="datadog", extra_env=None):
        self.port = freePort(socket.SOCK_DGRAM)
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "DD_DOGSTATSD_PORT": str(self.port), "DYNO": "web.1",
               "HEROKU_APP_NAME": "bench", "DYNOSTATSD_FLUSH_INTERVAL": "2", "DYNOSTATSD_SHUTDOWN_GRACE": "0",
               "DD_DOGSTATSD_SO_RCVBUF": "4194304"}  # explicit, for binaries older than this default
        if intake_url:
            for sink in sinks.split("+"):
                env.update(SINKS[sink](intake_url))
        env.update(extra_env or {})
        self.proc = subprocess.Popen([binary, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        self.lines = []
        ready = threading.Event()

        def read():
            for line in self.proc.stderr:
                self.lines.append(line)
                if "msg=ready" in line:
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(10):
            self.proc.kill()
            raise SystemExit("no ready line: " + "".join(self.lines[-5:]))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(60)


class TlsIntake:
    """The 202 intake over https://localhost: a throwaway CA signs its certificate."""

    def __init__(self):
        import tempfile

        self.dir = tempfile.TemporaryDirectory()
        d = self.dir.name
        self.ca = os.path.join(d, "ca.pem")

        def openssl(*args):
            subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=d)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=bench CA")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "req.pem", "-subj",
                "/CN=localhost")
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            f.write("subjectAltName=DNS:localhost\n")
        openssl("x509", "-req", "-in", "req.pem", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                "cert.pem", "-days", "2", "-extfile", "ext.cnf")
        self.bundle = os.path.join(d, "bundle.pem")
        with open(self.bundle, "w") as out:
            with open("/etc/ssl/certs/ca-certificates.crt") as system:
                out.write(system.read())
            with open(self.ca) as ca:
                out.write(ca.read())
        self.intake = Intake(os.path.join(d, "cert.pem"), os.path.join(d, "key.pem"))

    @staticmethod
    def env(client, trust):
        return {"SSL_CERT_FILE": trust, "DYNOSTATSD_HTTP_CLIENT": client, "DYNOSTATSD_VALIDATE_API_KEY": "true"}

    def stop(self):
        self.intake.stop()
        self.dir.cleanup()


def mb(kb):
    return kb / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("loadgen")
    parser.add_argument("--contexts", default="10000,100000")
    parser.add_argument("--runs", type=int, default=1, help="repeat the context runs, print medians")
    parser.add_argument("--smaps", action="store_true")
    parser.add_argument("--sinks", default="datadog", help="datadog, otlp, otlp-cumulative, or a+b")
    parser.add_argument("--tls", action="store_true", help="also the idle rows over https (needs openssl)")
    parser.add_argument("--http-clients", default="native,curl", help="DYNOSTATSD_HTTP_CLIENT values for --tls")
    args = parser.parse_args()
    intake = Intake()
    tls = TlsIntake() if args.tls else None
    try:
        rows = [("idle log-only", None, {}), ("idle key", intake.url, {})]
        if tls:
            for client in [c for c in args.http_clients.split(",") if c]:
                rows.append((f"idle key https ({client})", tls.intake.url, tls.env(client, tls.ca)))
            if "native" in args.http_clients:
                rows.append(("idle key https, whole bundle (native)", tls.intake.url, tls.env("native", tls.bundle)))
        for label, url, extra in rows:
            agent = Agent(args.binary, url, args.sinks, extra)
            time.sleep(1.2)
            st, ru = status(agent.proc.pid), rollup(agent.proc.pid)
            print(f"{label}: VmRSS {mb(st['VmRSS']):.1f} MB (RssAnon {mb(st['RssAnon']):.1f}, "
                  f"RssFile {mb(st['RssFile']):.1f}) PSS {mb(ru['Pss']):.1f} MB "
                  f"USS {mb(ru['Private_Clean'] + ru['Private_Dirty']):.1f} MB")
            if args.smaps:
                print("   " + " ".join(f"{k}={v}" for k, v in smaps_by_mapping(agent.proc.pid) if v >= 40))
            # The intake answers 202 (reason=http_202): the request went through. libcurl reads its own
            # compiled-in bundle, not SSL_CERT_FILE: its handshake ends at verification (reason=tls), after
            # the same work.
            failed = [line.strip() for line in agent.lines if "could not validate" in line and "http_202" not in line]
            if url and url.startswith("https") and failed:
                print("   (the https request failed) " + failed[0])
            agent.stop()
        for n in [int(x) for x in args.contexts.split(",") if x]:
            rows = []
            for _ in range(args.runs):
                agent = Agent(args.binary, intake.url, args.sinks)
                time.sleep(0.3)
                subprocess.run([args.loadgen, "--port", str(agent.port), "--types", "c", "--lines", str(n), "--names",
                                str(n), "--tags", "3", "--per-datagram", "20", "--rate", "4000"], check=True,
                               capture_output=True)
                time.sleep(0.5)
                ingested = status(agent.proc.pid)
                time.sleep(4.5)
                flushed = status(agent.proc.pid)
                rows.append((mb(ingested["VmRSS"]), mb(flushed["VmRSS"]), mb(flushed["VmHWM"])))
                agent.stop()
            ingest, after, peak = (statistics.median(r[i] for r in rows) for i in range(3))
            print(f"{n} contexts (key, median of {len(rows)}): VmRSS after ingest {ingest:.1f} MB, "
                  f"after two flushes {after:.1f} MB, peak (VmHWM) {peak:.1f} MB")
    finally:
        intake.stop()
        if tls:
            tls.stop()


if __name__ == "__main__":
    main()
