"""The coyote command line: version, usage errors, drivers, config errors with locations."""
import os
import tempfile
import textwrap
import unittest

from harness import BASIC_YAML, Coyote, SOURCE_DIR, run_cli


def write_config(text):
    d = tempfile.mkdtemp(prefix="coyote-cli-")
    path = os.path.join(d, ".rr.yaml")
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))
    return path


class CliTest(unittest.TestCase):
    def test_version_prints_the_version(self):
        code, out, _ = run_cli("--version")
        self.assertEqual(code, 0)
        self.assertRegex(out, r"coyote \d+\.\d+\.\d+")

    def test_version_names_the_allocator_that_really_serves_malloc(self):
        # cmake's choice (cmake/CoyoteAllocator.cmake); the binary checks a malloc'd block.
        expected = os.environ.get("COYOTE_ALLOCATOR_IN_USE", "system")
        code, out, _ = run_cli("--version")
        self.assertEqual(code, 0)
        if expected == "mimalloc":
            self.assertRegex(out, r"\(malloc: mimalloc 2\.\d+\.\d+\)")
        else:
            self.assertIn("(malloc: system)", out)

    def test_unknown_subcommand_is_a_usage_error(self):
        code, _, err = run_cli("frobnicate")
        self.assertEqual(code, 2)
        self.assertIn("frobnicate", err)

    def test_drivers_lists_the_builtin_memory_driver_without_flags(self):
        code, out, err = run_cli("drivers", cwd=tempfile.gettempdir())
        self.assertEqual(code, 0, err)
        self.assertRegex(out, r"memory\s+\S*libcoyote_driver_memory\.so\s+0\.2\.0")

    def test_missing_version_gives_roadrunners_message_with_location(self):
        path = write_config("""
            jobs:
              pipelines: {}
        """)
        code, _, err = run_cli("serve", "-c", path)
        self.assertEqual(code, 1)
        self.assertIn("should contain a version", err)
        self.assertIn(path, err)

    def test_unknown_key_is_reported_with_line_and_suggestion(self):
        path = write_config("""
            version: "3"
            server:
              command: "python3 x.py"
            jobs:
              pipline_size: 10
        """)
        code, _, err = run_cli("serve", "-c", path)
        self.assertEqual(code, 1)
        self.assertIn(path + ":6:", err)
        self.assertIn("pipeline_size", err)

    def test_unknown_driver_names_the_loaded_ones(self):
        path = write_config("""
            version: "3"
            server:
              command: "python3 x.py"
            jobs:
              pool: {num_workers: 1}
              pipelines:
                p:
                  driver: memroy
        """)
        code, _, err = run_cli("serve", "-c", path)
        self.assertEqual(code, 1)
        self.assertIn("memroy", err)
        self.assertIn('did you mean "memory"?', err)

    def test_missing_config_file_is_a_clear_error(self):
        code, _, err = run_cli("serve", "-c", "/nonexistent/.rr.yaml")
        self.assertEqual(code, 1)
        self.assertIn("/nonexistent/.rr.yaml", err)

    def test_override_flag_changes_a_value(self):
        path = write_config("""
            version: "3"
            server:
              command: "python3 x.py"
            jobs:
              pipelines:
                p:
                  driver: memroy
        """)
        code, _, err = run_cli("serve", "-c", path, "-o", "jobs.pipelines.p.driver=nope")
        self.assertEqual(code, 1)
        self.assertIn("nope", err)

    def test_example_config_serves_and_stops_cleanly_on_sigterm(self):
        with open(os.path.join(SOURCE_DIR, ".rr.yaml.example")) as f:
            text = f.read()
        text = text.replace("tcp://127.0.0.1:6001", "@RPC@").replace(
            "examples/workers/", "@SOURCE@/examples/workers/")
        coyote = Coyote(text)
        with coyote:
            with coyote.rpc() as client:
                self.assertIn("default", client.list())
        self.assertEqual(coyote.proc.returncode, 0, coyote.log()[-2000:])

    def test_client_commands_read_rpc_listen_as_serve_does(self):
        # Regression: `coyote jobs ... -c` read rpc.listen from the raw YAML, so
        # ${VAR:-default} was not expanded and -o was ignored, where serve honours both.
        text = BASIC_YAML.format(workers=1).replace(
            "listen: @RPC@", "listen: ${COYOTE_E2E_RPC:-tcp://127.0.0.1:1}")
        coyote = Coyote(text)
        coyote.env["COYOTE_E2E_RPC"] = coyote.address
        with coyote:
            env = {"COYOTE_E2E_RPC": coyote.address}
            code, out, err = run_cli("jobs", "list", "-c", coyote.config_path, env=env)
            self.assertEqual(code, 0, err)
            self.assertEqual(out.split(), ["p"])
            code, out, err = run_cli("jobs", "list", "-c", coyote.config_path,
                                     "-o", "rpc.listen=" + coyote.address)
            self.assertEqual(code, 0, err)
            self.assertEqual(out.split(), ["p"])


if __name__ == "__main__":
    unittest.main()
