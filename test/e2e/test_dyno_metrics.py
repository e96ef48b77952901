"""Dyno health metrics (heroku.dyno.*) from the real binary.

RealCgroupTest puts the agent and a process that allocates and touches 200 MB into a fresh cgroup
v1 memory group with a 512 MB limit (needs root and the v1 memory controller, as on this machine
and on Cedar dynos), then checks the l2met report against the group's own files: memory.total
within 5 % of the group's usage, the quota exact, the R14 early warning once, the allocating
process named in the top-process series. The other tests need no privileges.
"""

import os
import stat
import tempfile
import time
import unittest
import uuid
import subprocess

import agentlib

MEMORY_ROOT = "/sys/fs/cgroup/memory"
LIMIT = 512 * 1024 * 1024
HOG_BYTES = 200 * 1024 * 1024
HOG_NAME = "dyno-hog"
FIXTURES = os.path.join(agentlib.REPO, "test", "fixtures", "cgroup")

DYNO_ENV = {"DYNO": "web.1", "HEROKU_APP_NAME": "shop", "DYNOSTATSD_FLUSH_INTERVAL": "1",
            "DYNOSTATSD_SHUTDOWN_GRACE": "0.3"}

# Joins the group named by $1, then becomes python3: allocates and touches HOG_BYTES, renames
# itself (comm) to HOG_NAME, says "ready" and holds the memory until stdin closes.
HOG = r"""
import ctypes, sys
ctypes.CDLL(None).prctl(15, b"%s", 0, 0, 0)  # PR_SET_NAME
block = b"\x01" * %d                          # written by the copy: every page resident
print("ready", flush=True)
sys.stdin.read()
""" % (HOG_NAME, HOG_BYTES)


def cgroup_unavailable():
    if os.geteuid() != 0:
        return "needs root to create a memory cgroup"
    if not os.path.exists(os.path.join(MEMORY_ROOT, "memory.limit_in_bytes")):
        return "no cgroup v1 memory controller at %s" % MEMORY_ROOT
    return None


def read_int(path):
    with open(path) as f:
        return int(f.read().split()[0])


@unittest.skipIf(cgroup_unavailable(), cgroup_unavailable() or "")
class RealCgroupTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.group = os.path.join(MEMORY_ROOT, "dynostatsd-test-%d-%s" % (os.getpid(), uuid.uuid4().hex[:8]))
        os.mkdir(cls.group)
        cls.addClassCleanup(cls.remove_group)
        with open(os.path.join(cls.group, "memory.limit_in_bytes"), "w") as f:
            f.write(str(LIMIT))
        cls.tmp = tempfile.mkdtemp(prefix="dyno-e2e-")
        # The agent joins the group before it execs: `echo $$ > cgroup.procs; exec dynostatsd`.
        cls.wrapper = os.path.join(cls.tmp, "in-cgroup")
        with open(cls.wrapper, "w") as f:
            f.write('#!/bin/sh\necho $$ > "$DYNO_TEST_CGROUP/cgroup.procs" || exit 97\n'
                    'exec "$DYNO_TEST_BIN" "$@"\n')
        os.chmod(cls.wrapper, stat.S_IRWXU)
        env = dict(DYNO_ENV, DYNOSTATSD_MEMORY_WARN_PCT="30", DYNO_TEST_CGROUP=cls.group,
                   DYNO_TEST_BIN=agentlib.binary())
        cls.agent = agentlib.Agent(env=env, bin_path=cls.wrapper).start()
        cls.hog = None
        try:
            # The agent's first flushes see the group near empty (below 30 %), then the hog arrives.
            cls.agent.wait_until(lambda: cls.agent.samples("heroku.dyno.memory.total"), timeout=5)
            cls.hog = subprocess.Popen(
                ["sh", "-c", 'echo $$ > "$1/cgroup.procs" && exec python3 -c "$2"', "sh", cls.group, HOG],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            assert cls.hog.stdout.readline().strip() == "ready"
            cls.agent.wait_for_stderr(r'msg="memory near quota"', timeout=10)
            # Three more flushes while the memory is held: the warning must not repeat.
            cls.flushes_at_warning = len(cls.agent.samples("heroku.dyno.memory.total"))
            cls.agent.wait_until(
                lambda: len(cls.agent.samples("heroku.dyno.memory.total")) >= cls.flushes_at_warning + 3, timeout=10)
            cls.usage_now = read_int(os.path.join(cls.group, "memory.usage_in_bytes"))
            cls.reported_now = cls.agent.samples("heroku.dyno.memory.total")[-1]
        except BaseException:
            cls.stop_all()
            raise

    @classmethod
    def stop_all(cls):
        if cls.hog and cls.hog.poll() is None:
            cls.hog.stdin.close()
            cls.hog.wait(10)
        if cls.agent.proc and cls.agent.proc.poll() is None:
            cls.agent.stop()

    @classmethod
    def tearDownClass(cls):
        cls.stop_all()

    @classmethod
    def remove_group(cls):
        # rmdir succeeds once the last task has left; the processes are gone by now.
        for _ in range(50):
            try:
                os.rmdir(cls.group)
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("could not remove " + cls.group)

    def test_memory_total_matches_the_groups_usage(self):
        self.assertGreater(self.usage_now, HOG_BYTES)
        self.assertAlmostEqual(self.reported_now, self.usage_now, delta=0.05 * self.usage_now)
        rss = self.agent.samples("heroku.dyno.memory.rss")[-1]
        self.assertGreater(rss, HOG_BYTES * 0.95)

    def test_quota_is_the_groups_limit_exactly(self):
        self.assertEqual(read_int(os.path.join(self.group, "memory.limit_in_bytes")), LIMIT)
        self.assertEqual(set(self.agent.samples("heroku.dyno.memory.quota")), {float(LIMIT)})
        used_pct = self.agent.samples("heroku.dyno.memory.quota_used_pct")[-1]
        self.assertAlmostEqual(used_pct, self.reported_now / LIMIT * 100, delta=2)

    def test_warning_fires_once_with_an_event(self):
        warnings = [l for l in self.agent.stderr() if 'msg="memory near quota"' in l]
        self.assertEqual(len(warnings), 1, warnings)
        self.assertRegex(warnings[0], r"^at=warn stage=dyno msg=\"memory near quota\" used=\d+ quota=%d "
                                      r"used_pct=[\d.]+ threshold=30.0$" % LIMIT)
        used = int(warnings[0].split("used=")[1].split()[0])
        self.assertGreaterEqual(used, 0.30 * LIMIT)
        events = [l for l in self.agent.stdout() if " event title=" in l]
        self.assertEqual(len(events), 1, events)
        self.assertIn('title="Dyno memory near quota on web.1"', events[0])
        self.assertIn("alert_type=warning", events[0])

    def test_top_process_is_the_allocating_one(self):
        hog = self.agent.samples("heroku.dyno.process.rss", tags="process:" + HOG_NAME)
        self.assertTrue(hog, [l for l in self.agent.stdout() if "process.rss" in l][-6:])
        self.assertGreater(hog[-1], HOG_BYTES)
        agent = self.agent.samples("heroku.dyno.process.rss", tags="process:dynostatsd")
        self.assertTrue(agent)
        self.assertLess(agent[-1], hog[-1] / 2)  # the hog is the largest; the agent is listed too
        # The group holds exactly the agent and the hog.
        self.assertEqual(self.agent.samples("heroku.dyno.processes")[-1], 2)

    def test_no_oom_kill(self):
        self.assertEqual(self.agent.total("heroku.dyno.oom_kills"), 0)


class SwitchesAndCommandTest(unittest.TestCase):
    def test_dyno_metrics_false_turns_every_series_off(self):
        with agentlib.Agent(env=dict(DYNO_ENV, DYNOSTATSD_DYNO_METRICS="false")) as agent:
            self.assertTrue(agent.wait_for_metric("sample", "dynostatsd.contexts.live"))
            agent.wait_until(lambda: len(agent.samples("dynostatsd.contexts.live")) >= 2)
        self.assertFalse([l for l in agent.stdout() if "heroku.dyno." in l])
        self.assertFalse([l for l in agent.stderr() if "stage=dyno" in l])

    def test_invalid_settings_are_refused(self):
        for env, message in (({"DYNOSTATSD_DYNO_METRICS": "maybe"}, "setting=dyno_metrics"),
                             ({"DYNOSTATSD_MEMORY_WARN_PCT": "0"}, "setting=memory_warn_pct"),
                             ({"DYNOSTATSD_MEMORY_WARN_PCT": "150"}, "setting=memory_warn_pct")):
            with self.subTest(env=env):
                result = agentlib.run_command(["check-config"], env=env)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(message, result.stderr)

    def test_dyno_command_prints_each_figure_with_its_source(self):
        root = os.path.join(FIXTURES, "v1")
        result = agentlib.run_command(["dyno", "--root", root, "--interval", "0.05"])
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = {l.split("=", 1)[0]: l for l in result.stdout.splitlines()}
        memory_dir = os.path.join(root, "sys/fs/cgroup/memory/dyno")
        self.assertIn('memory=v1 memory_dir=%s cpu=v1' % memory_dir, lines["cgroup memory"])
        self.assertTrue(lines["heroku.dyno.memory.total"].startswith(
            'heroku.dyno.memory.total=262144000 unit=byte source="%s/memory.usage_in_bytes - %s/memory.stat '
            'total_inactive_file"' % (memory_dir, memory_dir)), lines["heroku.dyno.memory.total"])
        self.assertIn("heroku.dyno.memory.quota=536870912 unit=byte", lines["heroku.dyno.memory.quota"])
        self.assertIn("heroku.dyno.cpu.quota=1 unit=core", lines["heroku.dyno.cpu.quota"])
        self.assertIn("heroku.dyno.cpu.user_pct=0 unit=percent", lines["heroku.dyno.cpu.user_pct"])
        rss = [l for l in result.stdout.splitlines() if l.startswith("heroku.dyno.process.rss=")]
        self.assertEqual(len(rss), 2)
        self.assertIn("process=web__puma_6.4 pid=5", rss[0])

    def test_dyno_command_without_a_cgroup_says_so(self):
        result = agentlib.run_command(["dyno", "--root", os.path.join(FIXTURES, "none"), "--interval", "0.01"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("cgroup memory=none cpu=none", result.stdout)
        self.assertIn('heroku.dyno.memory.quota=none source="unavailable: no memory cgroup', result.stdout)
        self.assertIn("heroku.dyno.processes=1 unit=process", result.stdout)


if __name__ == "__main__":
    unittest.main()
