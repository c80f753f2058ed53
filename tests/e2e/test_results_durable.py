"""Results kept in the host file (jobs.dead_letter.file) with the real binary, a sqlite pipeline
and real workers: a result, a failure and a check-in survive SIGTERM, and every result a producer
has seen survives kill -9 (docs/scheduling.md, "Results across a restart")."""
import json
import os
import shutil
import signal
import tempfile
import unittest

from goridge_rpc import RpcClient
from harness import Coyote, run_cli

YAML = """
version: "3"
rpc:
  listen: @RPC@
server:
  command: "python3 @WORKER@"
jobs:
  results:
    ttl: 10m
  pool:
    num_workers: 2
    allocate_timeout: 20s
    destroy_timeout: 5s
  dead_letter:
    file: %(data)s/host.db
  consume: %(consume)s
  pipelines:
    p:
      driver: sqlite
      config:
        file: %(data)s/jobs.db
        prefetch: 50
      retry:
        max_attempts: 1
"""


def job(job_id, body):
    return RpcClient.job("p", "Task", job_id, json.dumps(body).encode())


class DurableResultsTest(unittest.TestCase):
    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="coyote-results-e2e-")
        self.hosts = []

    def tearDown(self):
        for h in self.hosts:
            h.kill()
        shutil.rmtree(self.data, ignore_errors=True)

    def host(self, consume=True):
        """A restarted host consumes nothing: what it answers comes from the file, not from a
        job redelivered and run again."""
        h = Coyote(YAML % {"data": self.data, "consume": '["p"]' if consume else "[]"})
        self.hosts.append(h)
        return h.start()

    def result(self, host, job_id, wait="0s"):
        code, out, err = run_cli("jobs", "result", job_id, "--wait", wait, "--rpc", host.address,
                                 "--json")
        return code, (json.loads(out) if out.strip() else {}), err

    def test_a_result_a_failure_and_a_check_in_survive_a_graceful_restart(self):
        first = self.host()
        with first.rpc() as rpc:
            rpc.push_batch([job("ok", {"result": {"sum": 6}, "progress": ["1/2", "2/2"]}),
                            job("bad", {"soft_error": "no such customer"})])
        code, r, err = self.result(first, "ok", "20s")
        self.assertEqual((code, r.get("state")), (0, "succeeded"), err + first.log()[-2000:])
        code, r, err = self.result(first, "bad", "20s")
        self.assertEqual(r.get("state"), "failed", err + first.log()[-2000:])
        self.assertEqual(first.stop(signal.SIGTERM), 0, first.log()[-2000:])

        second = self.host(consume=False)
        code, r, err = self.result(second, "ok")
        self.assertEqual(code, 0, err + second.log()[-2000:])
        self.assertEqual(r["state"], "succeeded")
        self.assertEqual(r["result"], {"sum": 6})
        self.assertEqual(r["progress"], "2/2")
        self.assertEqual(r["pipeline"], "p")
        code, r, _ = self.result(second, "bad")
        self.assertEqual(code, 1)
        self.assertEqual(r["state"], "failed")
        self.assertIn("no such customer", r["error"])
        self.assertEqual(r["attempts"], 1)

    def test_every_result_a_producer_has_seen_survives_kill_9(self):
        first = self.host()
        ids = ["k%d" % i for i in range(50)]
        with first.rpc() as rpc:
            rpc.push_batch([job(i, {"result": {"n": n}}) for n, i in enumerate(ids)])
            for i in ids:
                r = rpc.call("coyote.JobResult", {"id": i, "wait_ms": 20000})
                self.assertEqual(r["state"], "succeeded", first.log()[-2000:])
        os.kill(first.proc.pid, signal.SIGKILL)
        first.proc.wait()

        second = self.host(consume=False)
        with second.rpc() as rpc:
            for n, i in enumerate(ids):
                r = rpc.call("coyote.JobResult", {"id": i, "wait_ms": 5000})
                self.assertEqual((r["state"], r["result"]), ("succeeded", {"n": n}),
                                 second.log()[-2000:])
        code, r, err = self.result(second, "k7")
        self.assertEqual((code, r["result"]), (0, {"n": 7}), err)


if __name__ == "__main__":
    unittest.main()
