"""Issue 12 (hardening), end to end: hostile producers, lying workers, careless operators."""
import json
import os
import unittest

from goridge_rpc import RpcError
from harness import BASIC_YAML, Coyote, SOURCE_DIR, run_cli, wait_for

HARDENING_YAML = BASIC_YAML.format(workers=1) + """      retry:
        max_attempts: 2
        backoff: constant
        initial: 0s
        jitter: 0
      dead_letter: dlq
"""


def ctx(record):
    return json.loads(record["context"])


class HostileClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.coyote = Coyote(HARDENING_YAML).start()
        cls.client = cls.coyote.rpc()

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.coyote.stop()
        cls.coyote.log_file.close()

    def deliveries(self, job_id):
        return [r for r in self.coyote.records() if ctx(r)["id"] == job_id]

    def test_a_delay_beyond_100_years_is_refused_and_nothing_runs(self):
        # Item 10: 2^62 s overflowed the due time and the job ran at once.
        for delay in (2 ** 62, 2 ** 63 - 1, 10 ** 10):
            with self.assertRaises(RpcError) as refused:
                self.client.push("p", "J", "late-%d" % delay, b"x", delay=delay)
            self.assertIn("longer than the maximum of 3155760000 s", str(refused.exception))
        self.client.push("p", "J", "marker-after-late", b"x")
        wait_for(lambda: self.deliveries("marker-after-late"), what="the marker job")
        self.assertEqual([r for r in self.coyote.records() if ctx(r)["id"].startswith("late-")], [])

    def test_a_producers_attempt_header_does_not_shorten_the_retries(self):
        # Item 8: X-Coyote-Attempt: 99 from a producer dropped the job on its first failure.
        marker = os.path.join(self.coyote.dir, "attempt-marker")
        self.client.push("p", "J", "forged", json.dumps({"crash_once_marker": marker}).encode(),
                         headers={"X-Coyote-Attempt": ["99"]})
        got = wait_for(lambda: len(r := self.deliveries("forged")) >= 2 and r,
                       what="a redelivery of the forged job\n" + self.coyote.log()[-2000:])
        self.assertNotIn("X-Coyote-Attempt", ctx(got[0]).get("headers", {}))
        self.assertEqual(ctx(got[1])["headers"]["X-Coyote-Attempt"], ["2"])

    def test_a_job_whose_worker_always_asks_for_a_restart_is_dead_lettered(self):
        # Item 7: it was re-run on a fresh worker for ever (643 restarts in 10 s).
        self.client.push("p", "J", "poison", json.dumps({"restart_always": True}).encode())
        wait_for(lambda: self.client.stat().get("dlq", {}).get("active", 0) >= 1, timeout=30,
                 what="the poison job in the dead-letter store\n" + self.coyote.log()[-3000:])
        # max_attempts 2, one re-run on a fresh worker each: four deliveries, then it stops.
        self.assertEqual(len(self.deliveries("poison")), 4)
        self.assertIn("asked to be restarted on this job 2 times in a row", self.coyote.log())


class GracefulStopTest(unittest.TestCase):
    def test_sigterm_runs_every_job_queued_in_a_memory_pipeline(self):
        # Item 6: SIGTERM with 20 000 queued (prefetch 100) ran 2, "returned" 98 to a driver
        # about to drop them, and 19 608 vanished with no id and no count.
        coyote = Coyote(BASIC_YAML.format(workers=2), extra_env={"COYOTE_E2E_QUIET": "1"})
        acks = os.path.join(coyote.dir, "acks")
        coyote.env["COYOTE_E2E_ACKS"] = acks
        with coyote:
            with coyote.rpc() as client:
                client.pause("p")
                jobs = [client.job("p", "J", "j-%d" % i, b"x") for i in range(3000)]
                client.push_batch(jobs)
                client.resume("p")
            self.assertEqual(coyote.stop(), 0)
        with open(acks) as f:
            done = {line.strip() for line in f if line.strip()}
        self.assertEqual(len(done), 3000, coyote.log()[-2000:])
        # Jobs acked before the signal are not the drain's: the count is what finished after it.
        self.assertRegex(coyote.log(), r"shutdown: \d+ job\(s\) finished, 0 queued job\(s\) "
                                       r"returned to their drivers, 0 abandoned")


class StartupTest(unittest.TestCase):
    def test_serve_exits_with_the_workers_stderr_when_no_worker_can_start(self):
        # Item 21: it retried for ever with back-off, where RoadRunner refuses to start.
        coyote = Coyote(BASIC_YAML.format(workers=2).replace(
            "python3 @WORKER@", "python3 @SOURCE@/tests/fixtures/workers/misbehave.py exit_early"))
        code, _, err = run_cli("serve", "-c", coyote.config_path, cwd=coyote.dir, timeout=30)
        self.assertEqual(code, 1, err)
        self.assertIn("cannot start: jobs.pool: no worker could be started (3 attempts)", err)
        self.assertIn("php: command not found", err)

    def test_a_missing_worker_program_ends_serve_too(self):
        coyote = Coyote(BASIC_YAML.format(workers=1).replace("python3 @WORKER@",
                                                              "/nonexistent/coyote-worker"))
        code, _, err = run_cli("serve", "-c", coyote.config_path, cwd=coyote.dir, timeout=30)
        self.assertEqual(code, 1, err)
        self.assertIn("/nonexistent/coyote-worker", err)


def with_on_init(on_init):
    return BASIC_YAML.format(workers=1).replace(
        'command: "python3 @WORKER@"\n', 'command: "python3 @WORKER@"\n' + on_init)


class OnInitTest(unittest.TestCase):
    # Item 14: server.on_init was accepted and never ran, silently.
    def test_on_init_runs_once_before_the_workers_with_its_env(self):
        coyote = Coyote(with_on_init("""  on_init:
    command: ["/bin/sh", "-c", "echo $INIT_VALUE > @DIR@/init.txt; echo hello-from-init"]
    env:
      INIT_VALUE: from-on-init-env
"""))
        with coyote:
            with open(os.path.join(coyote.dir, "init.txt")) as f:
                self.assertEqual(f.read().strip(), "from-on-init-env")
            wait_for(lambda: "hello-from-init" in coyote.log(), what="on_init's output in the log")

    def test_a_failing_on_init_stops_start_up_with_exit_on_error(self):
        coyote = Coyote(with_on_init("""  on_init:
    command: ["/bin/sh", "-c", "echo broken-init >&2; exit 3"]
    exit_on_error: true
"""))
        code, _, err = run_cli("serve", "-c", coyote.config_path, cwd=coyote.dir, timeout=30)
        self.assertEqual(code, 1, err)
        self.assertIn("exited with code 3; stderr: broken-init", err)

    def test_a_failing_on_init_is_logged_and_serve_goes_on_without_exit_on_error(self):
        coyote = Coyote(with_on_init("""  on_init:
    command: ["/bin/sh", "-c", "sleep 5"]
    exec_timeout: 200ms
"""))
        with coyote:
            self.assertIn("did not finish within exec_timeout (200 ms) and was killed", coyote.log())


USER_YAML = """
version: "3"
rpc:
  listen: @RPC@
server:
  command: "/usr/bin/python3 @SOURCE@/tests/fixtures/workers/misbehave.py ids @DIR@/ids.json"
  user: nobody
  group: nogroup
jobs:
  pool:
    num_workers: 1
    allocate_timeout: 10s
    destroy_timeout: 5s
  consume: ["p"]
  pipelines:
    p:
      driver: memory
"""


@unittest.skipUnless(os.geteuid() == 0, "switching users needs root")
class WorkerUserTest(unittest.TestCase):
    def test_workers_run_as_server_user_and_group(self):
        # Item 13: server.user and server.group were accepted and ignored: workers ran as root.
        coyote = Coyote(USER_YAML)
        os.chmod(coyote.dir, 0o777)
        with coyote:
            ids_path = os.path.join(coyote.dir, "ids.json")
            wait_for(lambda: os.path.exists(ids_path) and os.path.getsize(ids_path) > 0,
                     what="the worker's ids\n" + coyote.log())
            with open(ids_path) as f:
                ids = json.load(f)
        self.assertEqual((ids["uid"], ids["euid"], ids["gid"], ids["egid"]),
                         (65534, 65534, 65534, 65534))
        self.assertNotIn(0, ids["groups"])

    def test_an_unknown_server_user_stops_start_up_with_its_name(self):
        coyote = Coyote(USER_YAML.replace("user: nobody", "user: no-such-user-coyote"))
        code, _, err = run_cli("serve", "-c", coyote.config_path, cwd=coyote.dir, timeout=30)
        self.assertEqual(code, 1)
        self.assertIn("server.user", err)
        self.assertIn('no such user "no-such-user-coyote"', err)


if __name__ == "__main__":
    unittest.main()
