#!/usr/bin/env bash
# Usage: bash bench/smoke.sh <path to loadgen>
#
# A quick check that loadgen sends what it says: 10,000 mixed lines packed 20 per datagram to a
# receiving socket on 127.0.0.1 (port 0), then the received datagrams, lines, bytes, per-type
# counts and per-name counter sums must equal loadgen's JSON summary and its --expected file.
# Deterministic (500 datagrams into a 4 MB buffer that is read after the send) and under a second.
set -euo pipefail
shopt -s inherit_errexit

readonly loadgen="${1:?usage: smoke.sh <loadgen>}"
workdir="$(mktemp -d)"
readonly workdir
trap 'rm -rf "${workdir}"' EXIT

/usr/bin/python3 - "${loadgen}" "${workdir}" <<'PY'
import json, os, socket, subprocess, sys

loadgen, workdir = sys.argv[1], sys.argv[2]
receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
receiver.bind(("127.0.0.1", 0))
expected_path = os.path.join(workdir, "expected.json")
cmd = [loadgen, "--port", str(receiver.getsockname()[1]), "--lines", "10000", "--per-datagram", "20",
       "--names", "60", "--tags", "3", "--tag-values", "2", "--types", "c,g,ms,h,s,d",
       "--expected", expected_path]
summary = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)

receiver.settimeout(0.5)
datagrams, lines, size, types, sums = 0, 0, 0, {}, {}
try:
    while datagrams < summary["datagrams"]:
        data = receiver.recv(65535).decode()
        datagrams += 1
        size += len(data)
        for line in data.split("\n"):
            lines += 1
            name, rest = line.split(":", 1)
            value, kind, tags = rest.split("|")
            assert tags.startswith("#") and len(tags[1:].split(",")) == 3, line
            types[kind] = types.get(kind, 0) + 1
            if kind == "c":
                sums[name] = sums.get(name, 0) + int(value)
except socket.timeout:
    pass

failures = []
def check(what, got, want):
    if got != want:
        failures.append(f"{what}: got {got}, want {want}")

check("summary lines", summary["lines"], 10000)
check("summary datagrams", summary["datagrams"], 500)
check("received datagrams", datagrams, summary["datagrams"])
check("received lines", lines, summary["lines"])
check("received bytes", size, summary["bytes"])
# A name keeps one type (name % 6); names 0-39 get 167 lines and 40-59 get 166.
check("lines per type", types, {"c": 1667, "g": 1667, "ms": 1667, "h": 1667, "s": 1666, "d": 1666})
with open(expected_path) as f:
    expected = json.load(f)
check("expected lines", expected["lines"], 10000)
check("counter sums", sums, expected["counters"])
check("counter names", len(expected["counters"]), 10)  # names 0, 6, ..., 54 are counters
if failures:
    print("bench smoke: FAILED\n  " + "\n  ".join(failures))
    sys.exit(1)
print(f"bench smoke: ok ({datagrams} datagrams, {lines} lines, {size} bytes, "
      f"{len(sums)} counters summed exactly)")
PY
