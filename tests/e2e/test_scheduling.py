"""Periodic jobs and unique jobs with the real binary: an `@every 1s` schedule firing into real
workers and visible over RPC and the CLI, a restart on the sqlite store without a double fire,
and a unique-key refusal for a PHP-style push (the test PHP client, proto codec, headers only).
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request

from harness import Coyote, RECORDING_WORKER, SOURCE_DIR, free_port, run_cli, wait_for
from goridge_rpc import RpcError

PHP_CLIENT = os.path.join(SOURCE_DIR, "tests", "e2e", "php", "rpc_client.php")

YAML = """
version: "3"
rpc:
  listen: @RPC@
server:
  command: "python3 @WORKER@"
logs:
  level: debug
%(metrics)s
jobs:
  pool:
    num_workers: 1
    allocate_timeout: 20s
    destroy_timeout: 5s
%(dead_letter)s
  consume: ["p"]
  pipelines:
    p:
      driver: %(driver)s
      config:
%(driver_config)s
    held:
      driver: memory
%(kept)s  schedules:
    tick:
      spec: "@every 1s"
      pipeline: p
      job: App\\Jobs\\Tick
      payload: '{"from":"cron"}'
      headers:
        X-Source: cron
"""


def yaml_text(driver="memory", data_dir=None, metrics_port=None):
    driver_config = "        prefetch: 10\n"
    dead_letter = ""
    if driver == "sqlite":
        driver_config += "        file: %s\n" % os.path.join(data_dir, "jobs.db")
        dead_letter = "  dead_letter:\n    file: %s\n" % os.path.join(data_dir, "host.db")
    kept = ""
    if driver == "sqlite":
        # Not consumed: its jobs stay in the file, their unique keys held across restarts.
        kept = "    kept:\n      driver: sqlite\n      config:\n        file: %s\n" % (
            os.path.join(data_dir, "jobs.db"))
    metrics = "metrics:\n  address: 127.0.0.1:%d\n" % metrics_port if metrics_port else ""
    return YAML % {"driver": driver, "driver_config": driver_config, "dead_letter": dead_letter,
                   "metrics": metrics, "kept": kept}


def ids_of(records):
    return [json.loads(r["context"])["id"] for r in records]


def schedules(host):
    with host.rpc() as rpc:
        return {s["name"]: s for s in rpc.call("jobs.SchedulesList", {})["schedules"]}


def php_push(address, pipeline, job_id, headers):
    """What spiral/roadrunner-jobs sends for $queue->push(...) with headers: jobs.Push, proto."""
    script = (
        "require $argv[1]; $c = new CoyoteRpcClient($argv[2]);"
        "try { $c->push($argv[3], 'App\\\\Job', 'x', $argv[4], json_decode(stream_get_contents(STDIN), true));"
        " echo json_encode(['ok' => true]); }"
        " catch (RpcServiceException $e) { echo json_encode(['ok' => false, 'error' => $e->getMessage()]); }")
    # Headers on stdin: a 1 MB key does not fit in an argument list.
    proc = subprocess.run(["php", "-r", script, PHP_CLIENT, address, pipeline, job_id],
                          input=json.dumps(headers).encode(), capture_output=True, timeout=60)
    out = proc.stdout.decode().strip()
    if not out:
        raise AssertionError("php printed nothing; stderr: " + proc.stderr.decode())
    return json.loads(out)


class PeriodicJobs(unittest.TestCase):
    def test_every_second_fires_into_workers_and_shows_over_rpc_and_cli(self):
        with Coyote(yaml_text()) as host:
            records = host.wait_records(2)
            ids = ids_of(records)
            self.assertEqual(len(ids), len(set(ids)), ids)
            for i in ids:
                self.assertRegex(i, r"^tick@\d+$")
            seconds = sorted(int(i.split("@")[1]) for i in ids)
            self.assertGreater(seconds[1], seconds[0])
            ctx = json.loads(records[0]["context"])
            self.assertEqual(ctx["job"], "App\\Jobs\\Tick")
            self.assertEqual(ctx["headers"]["X-Source"], ["cron"])
            self.assertEqual(records[0]["body"], '{"from":"cron"}')

            s = wait_for(lambda: (x := schedules(host)["tick"]) and x["last_job_id"] and x,
                         what="a last job id")
            self.assertEqual(s["spec"], "@every 1s")
            self.assertEqual(s["origin"], "config")
            self.assertRegex(s["last_job_id"], r"^tick@\d+$")
            self.assertGreater(s["next_fire"], s["last_fire"])
            self.assertGreaterEqual(s["fired"], 2)

            code, out, err = run_cli("jobs", "schedules", "list", "--rpc", host.address)
            self.assertEqual(code, 0, err)
            self.assertIn("NEXT FIRE", out)
            line = [l for l in out.splitlines() if l.startswith("tick\t")][0]
            self.assertIn("@every 1s", line)
            self.assertIn("active", line)
            self.assertRegex(line, r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")

            code, out, err = run_cli("jobs", "schedules", "pause", "tick", "--rpc", host.address)
            self.assertEqual((code, out.strip()), (0, "paused tick"), err)
            paused_at = len(host.records())
            time.sleep(2.2)
            # At most the fire that was on its way when the pause landed.
            self.assertLessEqual(len(host.records()), paused_at + 1)
            self.assertIsNone(schedules(host)["tick"]["next_fire"])

            code, out, err = run_cli("jobs", "schedules", "trigger", "tick", "--rpc", host.address)
            self.assertEqual(code, 0, err)
            self.assertRegex(out.strip(), r"^triggered tick: job tick@manual-\d+$")
            manual = out.strip().split("job ")[1]
            wait_for(lambda: manual in ids_of(host.records()), what="the triggered job")

            code, out, err = run_cli("jobs", "schedules", "add", "later", "--spec",
                                     "CRON_TZ=Europe/Berlin 0 3 * * *", "--pipeline", "p",
                                     "--job", "Nightly", "--rpc", host.address)
            self.assertEqual(code, 0, err)
            later = schedules(host)["later"]
            self.assertEqual((later["zone"], later["origin"]), ("Europe/Berlin", "rpc"))
            code, out, err = run_cli("jobs", "schedules", "add", "bad", "--spec", "61 * * * *",
                                     "--pipeline", "p", "--job", "X", "--rpc", host.address)
            self.assertEqual(code, 1)
            self.assertIn("minute 61 is out of range 0-59", err)
            code, out, err = run_cli("jobs", "schedules", "remove", "later", "--rpc", host.address)
            self.assertEqual(code, 0, err)
            self.assertNotIn("later", schedules(host))

    def test_restart_on_the_sqlite_store_does_not_fire_a_due_time_twice(self):
        data = tempfile.mkdtemp(prefix="coyote-sched-")
        try:
            with Coyote(yaml_text("sqlite", data)) as first:
                first.wait_records(3)
                before = schedules(first)["tick"]
            first_ids = ids_of(first.records())
            time.sleep(2.5)  # down long enough to miss at least one due time
            with Coyote(yaml_text("sqlite", data)) as second:
                # The last fire came back from the host file (read by its writer thread just
                # after startup: the RPC may answer before that read is done).
                after = wait_for(lambda: (t := schedules(second)["tick"])["last_fire"] and t,
                                 what="the last fire loaded from the host file")
                self.assertGreaterEqual(after["last_fire"], before["last_fire"])
                self.assertTrue(after["last_job_id"])
                second.wait_records(3)
            second_ids = ids_of(second.records())
            everything = first_ids + second_ids
            self.assertEqual(len(everything), len(set(everything)),
                             "a due time ran twice: %s" % sorted(everything))
            last_first = max(int(i.split("@")[1]) for i in first_ids)
            self.assertGreater(min(int(i.split("@")[1]) for i in second_ids), last_first)
            self.assertIn("skipped (catch_up: skip)", second.log())
        finally:
            shutil.rmtree(data, ignore_errors=True)

    def test_a_bad_spec_is_a_configuration_error_naming_file_line_and_key(self):
        bad = yaml_text().replace('"@every 1s"', '"0 25 * * *"')
        host = Coyote(bad)
        host.start(wait_rpc=False)
        code = host.proc.wait(timeout=30)
        host.log_file.close()
        self.assertEqual(code, 1)
        self.assertRegex(host.log(), r"\.rr\.yaml:\d+:\d+: jobs\.schedules\.tick\.spec: .*hour 25 "
                                     r"is out of range 0-23")


class UniqueJobs(unittest.TestCase):
    def test_a_php_push_with_a_held_unique_key_is_refused_and_counted(self):
        metrics = free_port()
        with Coyote(yaml_text(metrics_port=metrics)) as host:
            key = {"X-Coyote-Unique-Key": ["report-42"]}
            # "held" is not consumed: its jobs stay queued, their keys held.
            self.assertEqual(php_push(host.address, "held", "a", key), {"ok": True})
            refused = php_push(host.address, "held", "b", key)
            self.assertFalse(refused["ok"])
            self.assertIn("duplicate unique key: job a in pipeline held holds "
                          "X-Coyote-Unique-Key \"report-42\"", refused["error"])
            self.assertEqual(php_push(host.address, "held", "c", {"X-Coyote-Unique-Key": ["x"]}),
                             {"ok": True})
            too_long = php_push(host.address, "held", "d",
                                {"X-Coyote-Unique-Key": ["k" * (1024 * 1024)]})
            self.assertIn("is 1048576 bytes; the limit is 4096", too_long["error"])
            window = php_push(host.address, "held", "e",
                              {"X-Coyote-Unique-Key": ["w"], "X-Coyote-Unique-For": ["0s"]})
            self.assertIn("must be a duration > 0", window["error"])
            text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics,
                                          timeout=10).read().decode()
            self.assertRegex(text, r"(?m)^coyote_jobs_unique_refused_total 1$")
            self.assertRegex(text, r"(?m)^coyote_schedule_fires_total \d+$")
            with host.rpc() as rpc:
                self.assertEqual(rpc.call("jobs.SchedulesList", {})["unique_refused"], 1)
            # A consumed pipeline: the key is free again once the worker acked the job.
            self.assertEqual(php_push(host.address, "p", "u1", key), {"ok": True})
            wait_for(lambda: "u1" in ids_of(host.records()), what="u1 ran")
            wait_for(lambda: php_push(host.address, "p", "u2", key)["ok"],
                     what="the key released after the ack")
            wait_for(lambda: "u2" in ids_of(host.records()), what="u2 ran")

    def test_keys_of_jobs_in_the_sqlite_file_are_held_again_after_a_restart(self):
        data = tempfile.mkdtemp(prefix="coyote-unique-")
        key = {"X-Coyote-Unique-Key": ["invoice-9"]}
        try:
            with Coyote(yaml_text("sqlite", data)) as first:
                self.assertEqual(php_push(first.address, "kept", "a", key), {"ok": True})
                self.assertFalse(php_push(first.address, "kept", "b", key)["ok"])
            with Coyote(yaml_text("sqlite", data)) as second:
                self.assertIn("1 key(s) of pipeline kept held again", second.log())
                refused = php_push(second.address, "kept", "b", key)
                self.assertFalse(refused["ok"])
                self.assertIn("duplicate unique key: job a in pipeline kept", refused["error"])
                with second.rpc() as rpc:
                    listed = rpc.call("jobs.SchedulesList", {})
                self.assertEqual(listed["unique_refused"], 1)
        finally:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
