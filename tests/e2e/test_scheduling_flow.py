"""Fair shares, concurrency caps, rate limits, results and progress with the real binary and real
workers (docs/scheduling.md). Each case starts its own small host: the features are pool and
pipeline options, and every check reads the order or times at which real workers saw the jobs."""
import json
import os
import subprocess
import tempfile
import time
import unittest

from goridge_rpc import RpcClient, RpcError
from harness import SOURCE_DIR, Coyote, run_cli, wait_for


def pipeline_of(record):
    return json.loads(record["context"])["pipeline"]


FAIR_YAML = """
version: "3"
rpc:
  listen: @RPC@
server:
  command: "python3 @WORKER@"
jobs:
  pool:
    num_workers: 1
    scheduling: fair
    allocate_timeout: 20s
    destroy_timeout: 5s
  consume: ["gate", "heavy", "light"]
  pipelines:
    gate:
      driver: memory
      weight: 1000
    heavy:
      driver: memory
      priority: 1
      weight: 3
    light:
      driver: memory
      priority: 10
      weight: 1
"""

CAPS_YAML = """
version: "3"
rpc:
  listen: @RPC@
server:
  command: "python3 @WORKER@"
jobs:
  pool:
    num_workers: 4
    allocate_timeout: 20s
    destroy_timeout: 5s
  consume: ["capped", "limited", "free"]
  pipelines:
    capped:
      driver: memory
      priority: 1
      max_concurrency: 1
    limited:
      driver: memory
      priority: 1
      rate_limit: 5/1s
    free:
      driver: memory
      priority: 10
"""

RESULTS_YAML = """
version: "3"
rpc:
  listen: @RPC@
server:
  command: "python3 @WORKER@"
jobs:
  results:
    ttl: 10m
    max_size: 200
  pools:
    py:
      num_workers: 2
      allocate_timeout: 20s
      destroy_timeout: 5s
    php:
      command: "php @SOURCE@/examples/workers/result_worker.php"
      num_workers: 1
      allocate_timeout: 20s
      destroy_timeout: 5s
  consume: ["p", "php"]
  pipelines:
    p:
      driver: memory
      pool: py
      retry:
        max_attempts: 2
        backoff: constant
        initial: 100ms
    php:
      driver: memory
      pool: php
"""


def job(pipeline, job_id, body):
    return RpcClient.job(pipeline, "Task", job_id, json.dumps(body).encode())


class FairSharesTest(unittest.TestCase):
    def test_two_saturated_pipelines_weighted_3_to_1_are_served_3_to_1(self):
        with Coyote(FAIR_YAML) as host, host.rpc() as rpc:
            # One worker, held busy by the gate job while both pipelines fill up.
            rpc.push_batch([job("gate", "gate", {"sleep": 1.0})])
            wait_for(lambda: len(host.records()) == 1, what="the gate job to start")
            rpc.push_batch([job("heavy", "h%d" % i, {}) for i in range(400)] +
                           [job("light", "l%d" % i, {}) for i in range(400)])
            records = host.wait_records(801, timeout=60)
            served = [pipeline_of(r) for r in records[1:401]]
            heavy, light = served.count("heavy"), served.count("light")
            # heavy also has the better priority: strict priority would give 400:0.
            self.assertGreater(light, 0)
            self.assertAlmostEqual(heavy / light, 3.0, delta=0.3, msg="%d:%d" % (heavy, light))
            # FIFO within each pipeline.
            ids = [json.loads(r["context"])["id"] for r in records[1:]]
            self.assertEqual([i for i in ids if i[0] == "h"], ["h%d" % i for i in range(400)])
            self.assertEqual([i for i in ids if i[0] == "l"], ["l%d" % i for i in range(400)])


class CapsTest(unittest.TestCase):
    def test_max_concurrency_runs_one_at_a_time_without_holding_other_pipelines(self):
        with Coyote(CAPS_YAML) as host, host.rpc() as rpc:
            rpc.push_batch([job("capped", "c%d" % i, {"sleep": 0.3}) for i in range(4)] +
                           [job("free", "f%d" % i, {"sleep": 0.05}) for i in range(30)])
            records = host.wait_records(34, timeout=60)
            capped = [r["time"] for r in records if pipeline_of(r) == "capped"]
            free = [r["time"] for r in records if pipeline_of(r) == "free"]
            # Each capped job starts only after the previous one (0.3 s of sleep) has ended.
            for before, after in zip(capped, capped[1:]):
                self.assertGreaterEqual(after - before, 0.29)
            # The other pipeline's jobs were not held behind the capped ones (3 free workers).
            self.assertLess(max(free), max(capped))

    def test_rate_limit_spreads_a_burst_over_its_window(self):
        with Coyote(CAPS_YAML) as host, host.rpc() as rpc:
            rpc.push_batch([job("limited", "r%d" % i, {}) for i in range(10)] +
                           [job("free", "f%d" % i, {}) for i in range(10)])
            records = host.wait_records(20, timeout=60)
            limited = sorted(r["time"] for r in records if pipeline_of(r) == "limited")
            # 5 at once, then one per 200 ms: the 10th can start 1 s after the first at the
            # earliest.
            self.assertGreaterEqual(limited[-1] - limited[0], 0.95)
            free = [r["time"] for r in records if pipeline_of(r) == "free"]
            self.assertLess(max(free), limited[-1])


class BadInputTest(unittest.TestCase):
    def check_refused(self, pipeline_keys, *expected):
        d = tempfile.mkdtemp(prefix="coyote-e2e-bad-")
        path = os.path.join(d, ".rr.yaml")
        with open(path, "w") as f:
            f.write('version: "3"\nserver:\n  command: "python3 w.py"\njobs:\n  pool:\n'
                    '    num_workers: 1\n  pipelines:\n    p:\n      driver: memory\n' +
                    pipeline_keys)
        code, out, err = run_cli("serve", "-c", path, timeout=30)
        self.assertNotEqual(code, 0, out + err)
        for text in expected:
            self.assertIn(text, err + out)

    def test_a_weight_of_zero_names_the_key_line_and_range(self):
        self.check_refused("      weight: 0\n", ".rr.yaml:10", "weight", "from 1 to 1000000")

    def test_a_rate_limit_of_zero_names_the_format(self):
        self.check_refused("      rate_limit: 0/1s\n", ".rr.yaml:10", "rate_limit", '"100/1s"')

    def test_an_unknown_scheduling_mode_lists_the_modes(self):
        d = tempfile.mkdtemp(prefix="coyote-e2e-bad-")
        path = os.path.join(d, ".rr.yaml")
        with open(path, "w") as f:
            f.write('version: "3"\nserver:\n  command: "python3 w.py"\njobs:\n  pool:\n'
                    '    num_workers: 1\n    scheduling: fairest\n')
        code, out, err = run_cli("serve", "-c", path, timeout=30)
        self.assertNotEqual(code, 0)
        self.assertIn(".rr.yaml:7", err + out)
        self.assertIn("fair", err + out)


class ResultsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.host = Coyote(RESULTS_YAML).start()

    @classmethod
    def tearDownClass(cls):
        cls.host.__exit__(None, None, None)

    def result(self, job_id, wait="0s"):
        code, out, err = run_cli("jobs", "result", job_id, "--wait", wait, "--rpc",
                                 self.host.address, "--json")
        return code, (json.loads(out) if out.strip() else {}), err

    def test_a_worker_result_and_its_progress_reach_the_producer(self):
        with self.host.rpc() as rpc:
            rpc.push_batch([job("p", "r1", {"result": {"sum": 6}, "progress": ["1/2", "2/2"]})])
        code, r, err = self.result("r1", "10s")
        self.assertEqual(code, 0, err)
        self.assertEqual(r["state"], "succeeded")
        self.assertEqual(r["result"], {"sum": 6})
        self.assertEqual(r["progress"], "2/2")
        self.assertEqual(r["pipeline"], "p")

    def test_the_wait_long_polls_until_the_job_finishes(self):
        with self.host.rpc() as rpc:
            rpc.push_batch([job("p", "slow", {"result": "done", "progress": ["started"],
                                              "sleep": 1.0})])
            wait_for(lambda: rpc.call("coyote.JobResult", {"id": "slow"})["state"] == "running",
                     what="the progress check-in")
            started = time.time()
            r = rpc.call("coyote.JobResult", {"id": "slow", "wait_ms": 20000})
            self.assertEqual(r["state"], "succeeded")
            self.assertEqual(r["result"], "done")
            self.assertLess(time.time() - started, 15)

    def test_a_job_that_has_not_finished_within_the_wait_exits_4(self):
        code, r, _ = self.result("never-pushed", "200ms")
        self.assertEqual(code, 4)
        self.assertEqual(r["state"], "unknown")

    def test_a_failure_is_a_result_with_the_error_and_attempts(self):
        with self.host.rpc() as rpc:
            rpc.push_batch([job("p", "bad", {"soft_error": "no such customer"})])
        code, r, _ = self.result("bad", "20s")
        self.assertEqual(code, 1)
        self.assertEqual(r["state"], "failed")
        self.assertIn("no such customer", r["error"])
        self.assertEqual(r["attempts"], 2)

    def test_a_result_over_the_cap_is_not_kept_and_says_which_key_to_raise(self):
        with self.host.rpc() as rpc:
            rpc.push_batch([job("p", "big", {"result": "x" * 500})])
        code, r, _ = self.result("big", "10s")
        self.assertEqual(r["state"], "succeeded")
        self.assertIsNone(r["result"])
        self.assertIn("jobs.results.max_size", r["error"])

    def test_the_php_example_returns_a_result_and_checks_in(self):
        with self.host.rpc() as rpc:
            rpc.push_batch([job("php", "php1", {"add": [1, 2, 3]})])
            r = rpc.call("coyote.JobResult", {"id": "php1", "wait_ms": 20000})
        self.assertEqual(r["state"], "succeeded", self.host.log()[-2000:])
        self.assertEqual(r["result"], {"sum": 6})
        self.assertEqual(r["progress"], "3 added")

    def test_the_cli_shows_a_running_jobs_progress(self):
        with self.host.rpc() as rpc:
            rpc.push_batch([job("p", "checkin", {"result": 1, "progress": ["step 1"],
                                                 "sleep": 2.0})])
            wait_for(lambda: rpc.call("coyote.JobResult", {"id": "checkin"})["state"] == "running",
                     what="the progress check-in")
        code, out, _ = run_cli("jobs", "result", "checkin", "--rpc", self.host.address)
        self.assertEqual(code, 4)
        self.assertIn("running", out)
        self.assertIn("progress: step 1", out)


class ResultsOffTest(unittest.TestCase):
    def test_without_jobs_results_the_methods_say_how_to_turn_them_on(self):
        with Coyote(CAPS_YAML) as host, host.rpc() as rpc:
            with self.assertRaises(RpcError) as caught:
                rpc.call("coyote.JobResult", {"id": "x"})
            self.assertIn("jobs.results", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
