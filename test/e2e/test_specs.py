"""scripts/specs.sh, the one place that locates the official spec files, and the fake intake's use
of it: a missing file is a clear failure naming it and how to get it, never a silent skip."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import fake_intake

HERE = os.path.dirname(os.path.abspath(__file__))
SPECS = os.path.join(HERE, "..", "..", "scripts", "specs.sh")


def locate(env):
    return subprocess.run(["bash", SPECS], env=env, capture_output=True, text=True, check=False)


class SpecsTest(unittest.TestCase):
    def setUp(self):
        found = locate(dict(os.environ))
        self.assertEqual(found.returncode, 0, found.stderr)  # the test machine itself has them
        self.real = found.stdout.strip()
        self.tmp = tempfile.mkdtemp(prefix="dynostatsd-specs-")
        self.saved = os.environ.get("DYNOSTATSD_SHARED_DIR")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.saved is None:
            os.environ.pop("DYNOSTATSD_SHARED_DIR", None)
        else:
            os.environ["DYNOSTATSD_SHARED_DIR"] = self.saved

    def test_an_incomplete_folder_is_refused_naming_the_files_and_the_fixes(self):
        os.makedirs(os.path.join(self.tmp, "datadog-api"))
        shutil.copy(os.path.join(self.real, "datadog-api", "series-schemas.json"),
                    os.path.join(self.tmp, "datadog-api"))
        result = locate(dict(os.environ, DYNOSTATSD_SHARED_DIR=self.tmp))
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, "")
        self.assertIn("otlp-proto/opentelemetry/proto/metrics/v1/metrics.proto", result.stderr)
        self.assertNotIn("- datadog-api/series-schemas.json", result.stderr)  # that one is there
        self.assertIn("DYNOSTATSD_SHARED_DIR=" + self.tmp, result.stderr)
        for fix in ("../shared", "DYNOSTATSD_SHARED_DIR", "scripts/fetch-specs.sh"):
            self.assertIn(fix, result.stderr)

    def test_the_fake_intake_refuses_to_run_without_the_schemas(self):
        os.environ["DYNOSTATSD_SHARED_DIR"] = self.tmp  # empty
        with self.assertRaises(fake_intake.SpecsMissing) as caught:
            fake_intake.FakeIntake()
        self.assertIn("datadog-api/series-schemas.json", str(caught.exception))
        cli = subprocess.run([sys.executable, os.path.join(HERE, "fake_intake.py"), "--port", "0"],
                             env=dict(os.environ), capture_output=True, text=True, timeout=30)
        self.assertEqual(cli.returncode, 2)
        self.assertIn("scripts/fetch-specs.sh", cli.stderr)

    def test_a_complete_folder_is_used_and_validates(self):
        for part in ("datadog-api", "otlp-proto"):
            shutil.copytree(os.path.join(self.real, part), os.path.join(self.tmp, part))
        result = locate(dict(os.environ, DYNOSTATSD_SHARED_DIR=self.tmp))
        self.assertEqual((result.returncode, result.stdout.strip()), (0, os.path.realpath(self.tmp)))
        os.environ["DYNOSTATSD_SHARED_DIR"] = self.tmp
        intake = fake_intake.FakeIntake()
        self.assertTrue(intake.schemas.available)
        self.assertEqual(intake.schemas.path, os.path.join(os.path.realpath(self.tmp), "datadog-api",
                                                           "series-schemas.json"))
        self.assertTrue(intake.schemas.errors("v2", "MetricPayload", {"series": "not a list"}))


if __name__ == "__main__":
    unittest.main()
