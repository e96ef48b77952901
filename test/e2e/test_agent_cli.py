"""The command line of the real binary: check-config, parse, version, --help, invalid settings,
the forwarder path, and start-up time."""

import json
import os
import shutil
import statistics
import tempfile
import unittest

import agentlib
from fake_intake import FakeIntake

API_KEY = "0123456789abcdef0123456789abcdef"


def settings(stdout):
    """check-config output -> {key: (value, {field: value})}."""
    out = {}
    for line in stdout.splitlines():
        fields, _ = agentlib.parse_l2met(line)
        if not fields:
            continue
        key = line.split("=", 1)[0]
        out[key] = (fields.pop(key), fields)
    return out


class CheckConfigTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dynostatsd-cli-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path

    def test_valid_configuration_shows_values_and_sources_with_the_key_masked(self):
        path = self.write("dynostatsd.yml", "flush_interval: 5\ntags: [team:core, tier:1]\ndogstatsd_port: 9000\n")
        result = agentlib.run_command(["check-config", "--port", "9100"], env={
            "DD_API_KEY": API_KEY, "DYNOSTATSD_CONFIG": path, "DD_DOGSTATSD_PORT": "9001",
            "DD_HISTOGRAM_PERCENTILES": "0.95 0.99"})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn(API_KEY, result.stdout + result.stderr)
        got = settings(result.stdout)
        self.assertEqual(got["api_key"], ("***cdef", {"source": "env", "env": "DD_API_KEY"}))
        self.assertEqual(got["dogstatsd_port"][0], "9100")
        self.assertEqual(got["dogstatsd_port"][1]["source"], "cli")
        self.assertEqual(got["flush_interval"][0], "5")
        self.assertEqual(got["flush_interval"][1]["source"], "yaml")
        self.assertEqual(got["tags"][0], "team:core,tier:1")
        self.assertEqual(got["histogram_percentiles"][0], "0.95,0.99")
        self.assertEqual(got["bind_host"], ("127.0.0.1", {"source": "default", "env": "DD_BIND_HOST",
                                                           "flag": "--bind-host"}))
        self.assertEqual(got["log_metrics"][0], "false")
        self.assertEqual(got["config_file"][0], path)
        self.assertTrue(result.stdout.endswith("valid=true\n"))

    def test_without_api_key_log_metrics_is_forced_on(self):
        result = agentlib.run_command(["check-config"])
        self.assertEqual(result.returncode, 0, result.stderr)
        got = settings(result.stdout)
        self.assertEqual(got["log_metrics"][0], "true")
        self.assertEqual(got["log_metrics"][1]["source"], "forced")
        self.assertEqual(got["config_file"][0], "none")

    def test_invalid_values_exit_2_and_name_the_setting_and_source(self):
        cases = [
            ({"DD_DOGSTATSD_PORT": "99999"}, [], "setting=dogstatsd_port source=env var=DD_DOGSTATSD_PORT"),
            ({"DD_DOGSTATSD_BUFFER_SIZE": "0"}, [], "setting=dogstatsd_buffer_size source=env"),
            ({"DYNOSTATSD_COMPRESSION": "lz4"}, [], "setting=compression source=env var=DYNOSTATSD_COMPRESSION"),
            ({}, ["--flush-interval", "zero"], "setting=flush_interval source=cli flag=--flush-interval"),
            ({"DYNOSTATSD_LOG_METRICS": "perhaps"}, [], "setting=log_metrics source=env"),
        ]
        for env, args, expected in cases:
            for command in ("check-config", "run"):
                with self.subTest(env=env, args=args, command=command):
                    env = dict(env, DD_API_KEY=API_KEY)
                    result = agentlib.run_command([command] + args, env=env, timeout=10)
                    self.assertEqual(result.returncode, 2, result.stderr)
                    self.assertIn("at=error stage=config", result.stderr)
                    self.assertIn(expected, result.stderr)
                    self.assertNotIn("msg=ready", result.stderr)  # nothing was opened
                    self.assertNotIn(API_KEY, result.stdout + result.stderr)

    def test_yaml_problems(self):
        cases = [
            ("dogstatsd_prot: 8125\n", "setting=dogstatsd_prot source=yaml", "unknown setting"),
            ("dogstatsd_port: [1, 2\n", "setting=config_file source=env var=DYNOSTATSD_CONFIG",
             "invalid YAML at line"),
            ("dogstatsd_port: http\n", "setting=dogstatsd_port source=yaml", "must be an integer in 0..65535"),
            ("tags: {a: b}\n", "setting=tags source=yaml", "must be a scalar or a list of scalars"),
        ]
        for text, where, message in cases:
            with self.subTest(text=text):
                path = self.write("c.yml", text)
                result = agentlib.run_command(["check-config"], env={"DYNOSTATSD_CONFIG": path})
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(where, result.stderr)
                self.assertIn(message, result.stderr)
        result = agentlib.run_command(["check-config", "--config", os.path.join(self.tmp, "missing.yml")])
        self.assertEqual(result.returncode, 2)
        self.assertIn("setting=config_file source=cli flag=--config", result.stderr)
        self.assertIn("cannot read the YAML file", result.stderr)

    def test_dynostatsd_yml_in_the_working_directory_is_read(self):
        self.write("dynostatsd.yml", "dogstatsd_buffer_size: 2048\n")
        result = agentlib.run_command(["check-config"], cwd=self.tmp)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(settings(result.stdout)["dogstatsd_buffer_size"][0], "2048")

    def test_skipped_percentile_is_a_warning_not_an_error(self):
        result = agentlib.run_command(["check-config"], env={"DD_HISTOGRAM_PERCENTILES": "0.5 7"})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("at=warn stage=config setting=histogram_percentiles skipped=7", result.stderr)
        self.assertEqual(settings(result.stdout)["histogram_percentiles"][0], "0.50")


class CommandsTest(unittest.TestCase):
    def test_version(self):
        result = agentlib.run_command(["version"])
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^dynostatsd \d+\.\d+\.\d+\n$")
        flag = agentlib.run_command(["--version"])
        self.assertEqual((flag.returncode, flag.stdout), (0, result.stdout))

    def test_help_everywhere(self):
        for args in (["--help"], ["run", "--help"], ["check-config", "--help"], ["parse", "--help"],
                     ["version", "--help"]):
            with self.subTest(args=args):
                result = agentlib.run_command(args)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn("Usage:", result.stdout)
        run_help = agentlib.run_command(["run", "--help"]).stdout
        for flag in ("--port", "--flush-interval", "--config", "--socket", "--tags"):
            self.assertIn(flag, run_help)

    def test_usage_errors_exit_2(self):
        self.assertEqual(agentlib.run_command([]).returncode, 2)
        self.assertEqual(agentlib.run_command(["frobnicate"]).returncode, 2)
        self.assertEqual(agentlib.run_command(["run", "--no-such-flag"]).returncode, 2)

    def test_parse_prints_json_lines(self):
        result = agentlib.run_command(["parse"], stdin="page.views:1|c|@0.5|#env:prod\nqueue.depth:7|g\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = [json.loads(l) for l in result.stdout.splitlines()]
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines[0]["kind"], "metric")
        self.assertEqual(lines[0]["name"], "page.views")
        self.assertEqual(lines[0]["type"], "c")
        self.assertEqual(lines[0]["rate"], 0.5)
        self.assertEqual(lines[0]["tags"], ["env:prod"])
        self.assertEqual(lines[1]["values"], [7])

    def test_parse_reports_errors_with_exit_1(self):
        result = agentlib.run_command(["parse"], stdin="nopipe\nok:1|c\n")
        self.assertEqual(result.returncode, 1)
        lines = [json.loads(l) for l in result.stdout.splitlines()]
        self.assertEqual(lines[0], {"kind": "error", "reason": "no_pipe", "input": "nopipe"})
        self.assertEqual(lines[1]["kind"], "metric")


class ForwarderWiringTest(unittest.TestCase):
    def test_api_key_sends_to_the_intake_and_log_metrics_also_prints(self):
        intake = FakeIntake().start()
        agent = agentlib.Agent(env={"DD_API_KEY": API_KEY, "DD_DD_URL": intake.url, "DYNO": "web.1",
                                    "HEROKU_APP_NAME": "shop", "DYNOSTATSD_FLUSH_INTERVAL": "1",
                                    "DYNOSTATSD_LOG_METRICS": "true", "DYNOSTATSD_SHUTDOWN_GRACE": "0.2"})
        try:
            agent.start()
            self.assertIn("output=datadog+l2met", agent.ready_line)
            agent.send("fwd.views:1|c|#env:prod\nfwd.views:1|c|#env:prod")
            self.assertTrue(intake.wait_for(lambda: intake.series("fwd.views"), timeout=10))
            self.assertTrue(agent.wait_for_metric("count", "fwd.views", tags="env:prod"))
        finally:
            rc = agent.stop()
            intake.stop()
        self.assertEqual(rc, 0)
        series = intake.series("fwd.views")
        for tag in ("env:prod", "dyno:web.1", "dynotype:web", "appname:shop"):
            self.assertIn(tag, series[0]["tags"])
        self.assertEqual(agent.total("fwd.views", tags="env:prod"), 2.0)
        self.assertEqual(intake.invalid(), [])
        self.assertTrue(intake.series("dynostatsd.datagrams.received"))
        self.assertNotIn(API_KEY, "\n".join(agent.stderr() + agent.stdout()))


class StartupTest(unittest.TestCase):
    def test_start_to_ready(self):
        """Records start-to-ready (target 20 ms; reported, asserted only against a loose bound)."""
        times = []
        for _ in range(5):
            agent = agentlib.Agent(env={"DYNO": "web.1"}).start()
            times.append(agent.ready_ms)
            agent.stop()
        print("\nstart-to-ready ms: median %.1f, max %.1f (%s)" % (
            statistics.median(times), max(times), ", ".join("%.1f" % t for t in times)))
        self.assertLess(statistics.median(times), 500 * agentlib.TIME_SCALE)


if __name__ == "__main__":
    unittest.main()
