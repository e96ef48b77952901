"""Start the real dynostatsd binary for end-to-end tests (Debian python3, stdlib only).

    agent = Agent(env={"DYNO": "web.1", "DYNOSTATSD_FLUSH_INTERVAL": "1"}).start()
    agent.send("page.views:1|c|#env:prod")          # UDP to the port the agent really bound
    agent.wait_for_metric("count", "page.views", tags="env:prod")
    rc = agent.stop()                               # SIGTERM, wait, return the exit code

The binary is $DYNOSTATSD_BIN (set by ctest), else build/agent/dynostatsd. The child gets a clean
environment (PATH, HOME, LANG plus `env`), runs in a fresh temporary directory (so no stray
./dynostatsd.yml is read) and, unless `env` sets DD_DOGSTATSD_PORT, listenson a free UDP port it picks (start() retries with another port if that one got taken meanwhile).
The real address is read back from the `msg=ready udp=127.0.0.1:<port>` line.
stdout and stderr are collected line by line by reader threads.

Secrets never appear in any output: every agent started here and every run_command() has all of
its stdout and stderr checked, when it ends, for every secret its environment configured (API
keys, URL passwords, header values: see secrets_in()); a leak fails the test that caused it.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Waits (start, wait_until) and wall-clock bounds in the tests are multiplied by this: make test-arm64
# sets 10, because under qemu user-mode emulation the agent runs several times slower (bounds still
# apply, just looser).
TIME_SCALE = float(os.environ.get("DYNOSTATSD_TIME_SCALE", "1"))

READY = re.compile(r"\bmsg=ready\b")
READY_UDP = re.compile(r"\budp=(\S+):(\d+)\b")
# An l2met entry: type#name=value
L2MET_ENTRY = re.compile(r"\b(count|sample|measure|unique)#(\S+?)=(\S+)")


def binary():
    path = os.environ.get("DYNOSTATSD_BIN")
    if path:
        return path
    for candidate in ("build/agent/dynostatsd", "build-app/agent/dynostatsd"):
        full = os.path.join(REPO, candidate)
        if os.path.exists(full):
            return full
    raise RuntimeError("set DYNOSTATSD_BIN to the built dynostatsd binary")


def run_command(args, env=None, stdin=None, timeout=30, cwd=None):
    """Runs `dynostatsd <args>` to completion with a clean env; returns CompletedProcess (text)."""
    tmp = None
    if cwd is None:
        tmp = tempfile.mkdtemp(prefix="dynostatsd-cmd-")
        cwd = tmp
    try:
        result = subprocess.run([binary()] + list(args), env=clean_env(env), input=stdin, capture_output=True,
                                text=True, timeout=timeout, cwd=cwd)
        assert_no_secrets(env, [result.stdout, result.stderr], "dynostatsd " + " ".join(args))
        return result
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


# Environment variables whose values are secrets (a substring match on the name), and variables
# holding URLs whose userinfo password is one.
SECRET_NAMES = re.compile(r"API_KEY|APP_KEY|PASSWORD|PASSWD|TOKEN|SECRET|HEADERS|CREDENTIAL", re.I)
URL_NAMES = re.compile(r"_URL$|_URLS$|_ENDPOINT$", re.I)
MIN_SECRET = 4  # the agent masks secrets of at least 4 characters (telemetry/secrets.h)


def secrets_in(env):
    """{secret value: the variable it came from} for every secret an environment configures."""
    found = {}

    def add(value, name):
        value = (value or "").strip()
        if len(value) >= MIN_SECRET:
            found[value] = name

    for name, value in (env or {}).items():
        if not isinstance(value, str):
            continue
        if SECRET_NAMES.search(name):
            add(value, name)
            if "HEADERS" in name.upper():  # OTLP style "k1=v1,k2=v2": each value is a secret
                for part in value.split(","):
                    if "=" in part:
                        add(part.split("=", 1)[1], name)
        if URL_NAMES.search(name) and "@" in value:
            try:
                parsed = urllib.parse.urlsplit(value.strip())
                add(parsed.password, name)
            except ValueError:
                pass
    return found


class SecretLeak(AssertionError):
    pass


def assert_no_secrets(env, outputs, what):
    """Raises SecretLeak when any secret of `env` occurs in any of `outputs` (strings)."""
    for secret, name in secrets_in(env).items():
        for output in outputs:
            if output and secret in output:
                raise SecretLeak("the value of %s appears in the output of %s" % (name, what))


def clean_env(extra=None):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
           "LANG": "C.UTF-8"}
    env.update(extra or {})
    return env


def parse_l2met(line):
    """Splits an l2met line into (prefix fields dict, [(type, name, value)])."""
    fields = {}
    entries = []
    for match in re.finditer(r'(\S+?)=("(?:[^"\\]|\\.)*"|\S*)', line):
        key, value = match.group(1), match.group(2)
        if "#" in key:
            kind, name = key.split("#", 1)
            entries.append((kind, name, float(value)))
        else:
            fields[key] = value.strip('"')
    return fields, entries


class PortTaken(Exception):
    pass


def free_udp_port():
    """A UDP port that was free a moment ago (the agent binds it right after; start() retries)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Agent:
    def __init__(self, env=None, args=None, cwd=None, bin_path=None, command="run"):
        self.command = command  # "run", or "drain" (drain mode)
        self.env = dict(env or {})
        self._pick_port = "DD_DOGSTATSD_PORT" not in self.env and not any(
            a == "--port" or a.startswith("--port=") for a in (args or []))
        self.args = list(args or [])
        self.bin = bin_path or binary()
        self.cwd = cwd
        self._given_cwd = cwd
        self._own_cwd = None
        self.proc = None
        self.stdout_lines = []
        self.stderr_lines = []
        self._lock = threading.Condition()
        self.udp_host = None
        self.udp_port = None
        self.ready_line = None
        self.ready_ms = None
        self.returncode = None
        self._readers = []

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, timeout=10, attempts=3):
        """Starts the agent and waits for its ready line; retries when the picked port got taken."""
        for attempt in range(attempts):
            if self._pick_port:
                self.env["DD_DOGSTATSD_PORT"] = str(free_udp_port())
            try:
                return self._start_once(timeout)
            except PortTaken:
                if attempt + 1 == attempts:
                    raise
        return self

    def _start_once(self, timeout):
        self.stdout_lines, self.stderr_lines, self._readers = [], [], []
        self._secrets_checked = False
        self.ready_line = None
        self.cwd = self._given_cwd
        if self.cwd is None:
            self._own_cwd = tempfile.mkdtemp(prefix="dynostatsd-agent-")
            self.cwd = self._own_cwd
        started = time.monotonic()
        self.proc = subprocess.Popen([self.bin, self.command] + self.args, env=clean_env(self.env), cwd=self.cwd,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for stream, sink in ((self.proc.stdout, self.stdout_lines), (self.proc.stderr, self.stderr_lines)):
            reader = threading.Thread(target=self._read, args=(stream, sink, started), daemon=True)
            reader.start()
            self._readers.append(reader)
        deadline = time.monotonic() + timeout * TIME_SCALE
        with self._lock:
            while self.ready_line is None and self.proc.poll() is None and time.monotonic() < deadline:
                self._lock.wait(0.05)
        if self.ready_line is None:
            self.kill()
            if self._pick_port and any("Address already in use" in l for l in self.stderr_lines):
                raise PortTaken()
            raise RuntimeError("dynostatsd did not log msg=ready:\n" + "\n".join(self.stderr_lines[-20:]))
        match = READY_UDP.search(self.ready_line)
        if match:
            self.udp_host, self.udp_port = match.group(1), int(match.group(2))
        return self

    def _read(self, stream, sink, started):
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                if sink is self.stderr_lines and self.ready_line is None and READY.search(line):
                    self.ready_line = line
                    self.ready_ms = (time.monotonic() - started) * 1000
                sink.append(line)
                self._lock.notify_all()
        with self._lock:
            self._lock.notify_all()

    def signal(self, signum=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signum)

    def wait(self, timeout=30):
        """Waits for exit and for the output readers; returns the exit code."""
        self.returncode = self.proc.wait(timeout)
        self._close_pipes()
        return self.returncode

    def _close_pipes(self):
        for reader in self._readers:
            reader.join(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        if not getattr(self, "_secrets_checked", False):
            self._secrets_checked = True
            with self._lock:
                outputs = list(self.stdout_lines) + list(self.stderr_lines)
            assert_no_secrets(self.env, outputs, "dynostatsd run " + " ".join(self.args))

    def stop(self, timeout=30):
        """SIGTERM, then wait for the final flush and exit; returns the exit code."""
        if self.proc is None:
            return None
        self.signal(signal.SIGTERM)
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        finally:
            self._cleanup()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self._close_pipes()
        self._cleanup()

    def _cleanup(self):
        if self._own_cwd:
            shutil.rmtree(self._own_cwd, ignore_errors=True)
            self._own_cwd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.stop()

    # -- sending --------------------------------------------------------------------------------

    def send(self, payload, host="127.0.0.1"):
        data = payload.encode() if isinstance(payload, str) else payload
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.sendto(data, (host, self.udp_port))

    def send_unix(self, path, payload):
        data = payload.encode() if isinstance(payload, str) else payload
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(data, path)

    # -- reading output -------------------------------------------------------------------------

    def stdout(self):
        with self._lock:
            return list(self.stdout_lines)

    def stderr(self):
        with self._lock:
            return list(self.stderr_lines)

    def wait_until(self, predicate, timeout=10):
        """Waits until predicate() is truthy (re-checked whenever output arrives); returns it."""
        deadline = time.monotonic() + timeout * TIME_SCALE
        with self._lock:
            while True:
                value = predicate()
                if value or time.monotonic() >= deadline:
                    return value
                self._lock.wait(min(0.1, max(0.0, deadline - time.monotonic())))

    def entries(self, kind=None, name=None, tags=None):
        """Every l2met entry printed so far: [(fields, kind, name, value)], filtered.

        `tags` is the exact tags= text of the line ("" for lines without tags=)."""
        found = []
        for line in self.stdout_lines:
            if not line.startswith("source="):
                continue
            fields, entries = parse_l2met(line)
            if tags is not None and fields.get("tags", "") != tags:
                continue
            for k, n, v in entries:
                if (kind is None or k == kind) and (name is None or n == name):
                    found.append((fields, k, n, v))
        return found

    def total(self, name, tags=""):
        """Sum of every count# entry for `name` on lines with exactly these tags."""
        with self._lock:
            return sum(v for _, _, _, v in self.entries("count", name, tags))

    def samples(self, name, tags=""):
        with self._lock:
            return [v for _, _, _, v in self.entries("sample", name, tags)]

    def wait_for_metric(self, kind, name, tags="", timeout=10):
        return self.wait_until(lambda: self.entries(kind, name, tags), timeout)

    def wait_for_stderr(self, pattern, timeout=10):
        regex = re.compile(pattern)
        return self.wait_until(lambda: [l for l in self.stderr_lines if regex.search(l)], timeout)
