#!/usr/bin/python3
"""Writes agent/hot_text.ld: the functions a dyno runs, in one place of the binary.

  /usr/bin/python3 bench/hot_text.py BIN [--out agent/hot_text.ld] [--seconds 6]

BIN: a dynostatsd binary built from this tree with -DDYNOSTATSD_HOT_TEXT=OFF (the default layout).
It runs `BIN supervise` under valgrind's callgrind (--trace-children) in a private HOME, as at
dyno boot, five times: log-only idle, log-only with the lines most apps send (counters, gauges,
timers, histograms), log-only with every kind of line (sets, distributions, events, service
checks too), then with DD_API_KEY and a local intake answering 202, idle and with every kind of
line; a few seconds each, with a 1 s flush, and a SIGTERM at the end. The functions of BIN that ran
are listed in this order: the detached supervisor's, the agent's in each of those boots, then the
rest (the first process, before it detaches); a function appears once, at its first place. So
what more dynos run comes first, and an agent touches the fewest windows for what it does.

Why: the kernel maps file pages in aligned 64 KiB windows around each fault (fault-around), so a
process's resident text is the number of distinct windows it touches, not the bytes it runs. Spread
over the whole binary, the ~200 KB an idle agent runs touch nearly every window of its 2.4 MB text;
side by side they fill a few. The linker script only orders sections: a name it lists that no
longer exists (renamed code, another compiler's libstdc++) matches nothing and that function goes
back to the default place, so a stale list costs memory, never correctness. Regenerate it after
larger changes and compare `bench/measure_memory.py` before and after.
"""

import argparse
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import IntakeSink as Intake  # noqa: E402  answers 202 to everything
from harness import freePort  # noqa: E402

# What most apps send (counters, gauges, timers, histograms), then every other kind of line: the
# parse, aggregate and flush paths of each type, listed after the ones more dynos run.
COMMON = [
    b"page.views:1|c|#route:home,status:200",
    b"page.views:3|c|@0.5|#route:cart,status:200",
    b"queue.depth:7|g|#queue:default",
    b"request.time:12.5|ms|#route:home",
    b"request.size:512|h|#route:home",
]
TRAFFIC = [
    b"page.views:1|c|#route:home,status:200",
    b"page.views:3|c|@0.5|#route:cart,status:200",
    b"queue.depth:7|g|#queue:default",
    b"queue.depth:+2|g|#queue:default",
    b"request.time:12.5|ms|#route:home",
    b"request.size:512|h|#route:home",
    b"db.query:3.25|d|#table:orders",
    b"users.online:u42|s",
    b"users.online:u43|s",
    b"multi:1:2:3|d|#packed:yes",
    b"_e{5,4}:title|text|#env:prod",
    b"_sc|db.up|0|#env:prod",
]


def callgrind(out_pattern):
    return ["valgrind", "--tool=callgrind", "--trace-children=yes", "--demangle=no", "--dump-instr=yes",
            "--compress-pos=no", "--compress-strings=no", f"--callgrind-out-file={out_pattern}",
            # A dump zeroes the counters, so a forked child's profile holds only what ran after its fork.
            "--dump-before=fork", "--dump-before=__libc_fork", "--dump-before=_Fork"]


def run_dyno(binary, work, label, extra_env, seconds, traffic):
    """One boot: returns {role: [callgrind files]} for 'first', 'supervisor' and 'agent'."""
    home = os.path.join(work, label)
    os.makedirs(home)
    port = freePort(socket.SOCK_DGRAM)
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "DYNO": "web.1", "HEROKU_APP_NAME": "hot-text",
           "DD_DOGSTATSD_PORT": str(port), "DYNOSTATSD_FLUSH_INTERVAL": "1", "DYNOSTATSD_SHUTDOWN_GRACE": "0",
           "DYNOSTATSD_AGENT": binary, **extra_env}
    pattern = os.path.join(work, f"{label}.%p.out")
    subprocess.run(callgrind(pattern) + [binary, "supervise"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_dir = os.path.join(home, ".dynostatsd", "run")
    deadline = time.time() + 60
    while not os.path.exists(os.path.join(run_dir, "agent.pid")) and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # the agent's start-up under valgrind
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end = time.time() + seconds
    while time.time() < end:
        if traffic:
            sock.sendto(b"\n".join(traffic), ("127.0.0.1", port))
        for line in traffic:
            sock.sendto(line, ("127.0.0.1", port))
        time.sleep(0.05)
    with open(os.path.join(run_dir, "supervisor.pid")) as f:
        supervisor = int(f.read())
    with open(os.path.join(run_dir, "agent.pid")) as f:
        agent = int(f.read())
    os.kill(supervisor, signal.SIGTERM)
    deadline = time.time() + 60
    while time.time() < deadline and any(os.path.exists(f"/proc/{p}") for p in (supervisor, agent)):
        time.sleep(0.2)
    files = {}
    for path in sorted(glob.glob(os.path.join(work, f"{label}.*.out*"))):
        pid = int(os.path.basename(path).split(".")[1])
        files.setdefault("supervisor" if pid == supervisor else "agent" if pid == agent else "first", []).append(path)
    return files


def functions_of(path, binary):
    """The functions of `binary` that executed."""
    seen, names = set(), []
    objects, fns = {}, {}
    ob = fn = None
    real = os.path.realpath(binary)
    for line in open(path):
        if line.startswith("ob="):
            m = re.match(r"ob=(?:\((\d+)\))?\s*(.*)", line.strip())
            if m.group(2):
                objects[m.group(1)] = m.group(2)
            ob = objects.get(m.group(1), m.group(2))
        elif line.startswith("fn="):
            m = re.match(r"fn=(?:\((\d+)\))?\s*(.*)", line.strip())
            if m.group(2):
                fns[m.group(1)] = m.group(2)
            fn = fns.get(m.group(1), m.group(2))
        elif line.startswith("0x") and ob and os.path.realpath(ob) == real and fn and fn not in seen:
            seen.add(fn)
            names.append(fn)
    return names


def section_patterns(name):
    """The input sections GCC's -ffunction-sections gives function `name` (a mangled symbol)."""
    name = re.sub(r"'\d+$", "", name)  # callgrind's mark of a recursive call
    cold = name.endswith(".cold")
    name = name.removesuffix(".cold")
    if not re.fullmatch(r"[A-Za-z0-9_.$]+", name):
        return []  # "(below main)", addresses without a symbol
    # A complete-object constructor or destructor (C1/D1) is an alias in its base-object twin's
    # section (C2/D2).
    names = [name] + [twin for twin in [re.sub(r"([CD])1([EI])", r"\g<1>2\2", name)] if twin != name]
    # A cold partition that ran (e.g. a landing pad) is in .text.unlikely.<name>.
    return [f".text.unlikely.{n}" if cold else f".text.{n}" for n in names]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "agent", "hot_text.ld"))
    parser.add_argument("--seconds", type=float, default=6)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("hot_text: needs valgrind (apt-get install valgrind)")
    binary = os.path.abspath(args.binary)
    sections = subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True, check=True).stdout
    if ".text.dynostatsd_hot" in sections:
        # valgrind names no function in that section: profile a binary laid out the default way.
        sys.exit("hot_text: BIN is linked with hot_text.ld; build one with cmake -DDYNOSTATSD_HOT_TEXT=OFF")
    work = tempfile.mkdtemp(prefix="hot-text.")
    intake = Intake()
    key = {"DD_API_KEY": "hot0000000000000000000000000000", "DD_DD_URL": intake.url,
           "DYNOSTATSD_VALIDATE_API_KEY": "false"}
    # (label, environment, traffic), in the order their functions are laid out after the supervisor's.
    boots = [("idle", {}, []), ("common", {}, COMMON), ("all", {}, TRAFFIC), ("key-idle", key, []),
             ("key-all", key, TRAFFIC)]
    try:
        profiles = [run_dyno(binary, work, label, env, args.seconds, traffic) for label, env, traffic in boots]
    finally:
        intake.stop()
    order = []
    roles = [(profiles[0], "supervisor")] + [(p, "agent") for p in profiles] + [(p, "first") for p in profiles]
    for files, role in roles:
        if role not in files:
            sys.exit(f"hot_text: no callgrind output for the {role}; see {work}")
        # Sorted within a boot: callgrind's order means nothing, and a stable list diffs small.
        order += sorted({name for path in files[role] for name in functions_of(path, binary)})
    listed, lines = set(), []
    for name in order:
        if name == "main" and "startup" not in listed:
            listed.add("startup")
            lines.append("    *(.text.startup .text.startup.*)")  # main and the static constructors
        for pattern in section_patterns(name):
            if pattern not in listed:
                listed.add(pattern)
                lines.append(f"    *({pattern})")
    with open(args.out, "w") as out:
        out.write("/* Generated by bench/hot_text.py from a profile of `dynostatsd supervise` in a dyno (log-only and\n"
                  "   with an API key): the functions that ran, supervisor first. Only an order, see that script. */\n"
                  "SECTIONS\n{\n  .text.dynostatsd_hot :\n  {\n")
        out.write("\n".join(lines) + "\n  }\n}\nINSERT BEFORE .text;\n")
    shutil.rmtree(work)
    print(f"hot_text: {len(lines)} functions -> {os.path.relpath(args.out)}")


if __name__ == "__main__":
    main()
