"""Dead letters that survive: the default store on the default config, and jobs.dead_letter.file
across kill -9 of the host — a failed job is acked at its driver only after its dead letter is
fsync'ed, so a kill between the two loses nothing (at worst a redelivery and a second death)."""
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest

from goridge_rpc import RpcClient, RpcError
from harness import Coyote, run_cli, wait_for

FAIL = '{"type":1,"data":{"message":"bad input","requeue":false}}'


def report(**figures):
    sys.stderr.write("dead letters: " + ", ".join("%s=%s" % kv for kv in figures.items()) + "\n")


def yaml_for(data, workers=2):
    # p has no dead_letter key: its dead jobs go to the default store "dead", kept in the file.
    return """
version: "3"
rpc:
  listen: @RPC@
server:
  command: "python3 @WORKER@"
logs:
  level: info
jobs:
  pool:
    num_workers: %d
    allocate_timeout: 20s
    destroy_timeout: 5s
  consume: ["p"]
  dead_letter:
    file: %s
  pipelines:
    p:
      driver: sqlite
      config:
        file: %s
        prefetch: 50
""" % (workers, os.path.join(data, "dead.db"), os.path.join(data, "jobs.db"))


def failing_once(data, job_id):
    """Fails (no requeue: dead-lettered at once) on its first delivery, acks on any later one."""
    return json.dumps({"reply": FAIL, "once_marker": os.path.join(data, "m-" + job_id)}).encode()


def kill(host):
    os.kill(host.proc.pid, signal.SIGKILL)
    host.proc.wait()
    host.log_file.close()


def dead_ids(client):
    return [d["id"] for d in client.call("coyote.DeadList", {}).get("jobs") or []]


def acked(path):
    try:
        with open(path) as f:
            return [line.strip() for line in f if line.strip()]
    except OSError:
        return []


class DurableDeadLettersTest(unittest.TestCase):
    KILLS = int(os.environ.get("COYOTE_DEAD_KILLS", "10"))

    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="coyote-dead-e2e-")
        self.acks = os.path.join(self.data, "acks.txt")
        self.hosts = []

    def tearDown(self):
        for h in self.hosts:
            h.kill()
        shutil.rmtree(self.data, ignore_errors=True)

    def host(self, workers=2):
        h = Coyote(yaml_for(self.data, workers), extra_env={"COYOTE_E2E_ACKS": self.acks})
        self.hosts.append(h)
        return h.start()

    def test_listed_dead_jobs_survive_kill_9_and_replay_removes_them_for_good(self):
        first = self.host()
        ids = ["d%d" % i for i in range(20)]
        with first.rpc() as client:
            for job_id in ids:
                client.push("p", "t", job_id, failing_once(self.data, job_id))
            # Listed means durable: the mirror is updated only after the commit.
            wait_for(lambda: len(dead_ids(client)) == 20, timeout=30,
                     what="20 dead jobs\n" + first.log()[-3000:])
        kill(first)
        second = self.host()
        with second.rpc() as client:
            listed = client.call("coyote.DeadList", {"store": "dead"})["jobs"]
            self.assertEqual(sorted(d["id"] for d in listed), sorted(ids))
            self.assertTrue(all(d["origin"] == "p" and "bad input" in d["error"] for d in listed))
            self.assertEqual(client.stat()["dead"]["active"], 20)
            self.assertEqual(acked(self.acks), [], "a dead job was acked by a worker")
            code, out, err = run_cli("jobs", "dead", "replay", "--rpc", second.address, "--all")
            self.assertEqual(code, 0, err)
            self.assertEqual(out.count("replayed "), 20)
            wait_for(lambda: set(acked(self.acks)) >= set(ids), timeout=30,
                     what="the replayed jobs acked\n" + second.log()[-3000:])
            self.assertEqual(dead_ids(client), [])
        kill(second)
        third = self.host()
        with third.rpc() as client:
            self.assertEqual(dead_ids(client), [], "a replayed dead job came back after kill -9")
        report(case="listed survive kill -9", dead=20, replayed=20, acked=len(set(acked(self.acks))))

    def test_kill_9_loop_while_jobs_are_dead_lettered_loses_none(self):
        rng = random.Random(13)
        current = {"address": "tcp://127.0.0.1:1"}
        producer = Producer(self.data, lambda: current["address"])
        try:
            producer.start()
            for _ in range(self.KILLS):
                h = self.host()
                current["address"] = h.address
                # Workers fail every first delivery: jobs are being dead-lettered (and acked
                # after their fsync) all the time; kill the host in the middle of it.
                time.sleep(rng.uniform(0.3, 0.8))
                kill(h)
        finally:
            producer.stop.set()
            producer.join(timeout=30)
        pushed, unknown = set(producer.ok), set(producer.unknown)
        final = self.host()
        with final.rpc() as client:
            def settled():
                return pushed <= set(acked(self.acks)) | set(dead_ids(client))
            wait_for(settled, timeout=120, interval=0.1,
                     what="every pushed job acked or dead\n" + final.log()[-3000:])
            wait_for(lambda: (s := client.stat().get("p")) and s.get("active", 0) == 0
                     and s.get("reserved", 0) == 0, timeout=60, interval=0.1,
                     what="pipeline p drained\n" + final.log()[-3000:])
            dead = dead_ids(client)
            acked_ids = set(acked(self.acks))
            self.assertEqual(len(dead), len(set(dead)), "one dead letter per id and store")
            lost = pushed - acked_ids - set(dead)
            # Dead letter held, then the job came back: the kill fell between fsync and ack.
            both = set(dead) & acked_ids
            recovered = sum(h.log().count("were handed to workers when the host stopped")
                            for h in self.hosts)
            code, out, err = run_cli("jobs", "dead", "replay", "--rpc", final.address, "--all")
            self.assertEqual(code, 0, err)
            wait_for(lambda: set(dead) <= set(acked(self.acks)), timeout=60,
                     what="every dead job acked after the replay\n" + final.log()[-3000:])
            self.assertEqual(dead_ids(client), [])
        report(case="kill -9 loop", kills=self.KILLS, pushed=len(pushed), unknown=len(unknown),
               dead=len(dead), acked_without_dying=len(acked_ids - set(dead)),
               dead_and_redelivered=len(both), recoveries_logged=recovered, lost=len(lost),
               replayed=out.count("replayed "), refused=producer.refused)
        self.assertGreater(len(pushed), 100, "the producer hardly pushed: the test proved nothing")
        self.assertEqual(lost, set(), "acknowledged pushes neither acked nor dead")
        self.assertGreater(len(dead), 0, "nothing was dead-lettered: the test proved nothing")
        self.assertGreater(recovered, 0, "no kill hit a job at a worker: the test proved nothing")
        self.assertEqual(out.count("replayed "), len(dead))


class Producer(threading.Thread):
    """Pushes failing-once jobs one at a time; an id counts as pushed once its push was answered
    ok, as "unknown" when the answer was lost with the host."""

    def __init__(self, data, address_of):
        super().__init__(daemon=True)
        self.data, self.address_of = data, address_of
        self.ok, self.unknown, self.refused = [], [], 0
        self.stop = threading.Event()

    def run(self):
        n, client = 0, None
        while not self.stop.is_set():
            if client is None:
                try:
                    client = RpcClient(self.address_of(), timeout=10)
                except OSError:
                    time.sleep(0.02)
                    continue
            job_id = "k%d" % n
            try:
                client.push("p", "t", job_id, failing_once(self.data, job_id))
                self.ok.append(job_id)
                n += 1
            except RpcError:
                self.refused += 1
                time.sleep(0.01)
            except (OSError, ConnectionError, ValueError):
                self.unknown.append(job_id)
                n += 1
                client.close()
                client = None
        if client is not None:
            client.close()


class DefaultStoreTest(unittest.TestCase):
    def test_the_default_config_keeps_every_job_that_gave_up_in_store_dead(self):
        yaml_text = """
version: "3"
rpc:
  listen: @RPC@
server:
  command: "python3 @WORKER@"
jobs:
  pool:
    num_workers: 2
  consume: ["p"]
  pipelines:
    p:
      driver: memory
      config:
        prefetch: 100
"""
        data = tempfile.mkdtemp(prefix="coyote-dead-e2e-")
        try:
            self.run_default(yaml_text, os.path.join(data, "acks.txt"))
        finally:
            shutil.rmtree(data, ignore_errors=True)

    def run_default(self, yaml_text, acks):
        with Coyote(yaml_text, extra_env={"COYOTE_E2E_ACKS": acks}) as node, node.rpc() as client:
            crash = json.dumps({"crash": True}).encode()
            pushed = ["j%d" % i for i in range(100)]
            crashing = {job_id for i, job_id in enumerate(pushed) if i % 10 == 3}
            for job_id in pushed:
                client.push("p", "t", job_id, crash if job_id in crashing else b"plain")
            client.push("p", "t", "nacked", json.dumps({"reply": FAIL}).encode())
            wait_for(lambda: len(dead_ids(client)) == len(crashing) + 1, timeout=90,
                     what="%d dead jobs\n" % (len(crashing) + 1) + node.log()[-3000:])
            wait_for(lambda: len(set(acked(acks))) >= len(pushed) - len(crashing), timeout=30,
                     what="the other jobs acked")
            dead = client.call("coyote.DeadList", {})["jobs"]
            self.assertEqual({d["store"] for d in dead}, {"dead"})
            by_id = {d["id"]: d for d in dead}
            self.assertEqual(set(by_id), crashing | {"nacked"})
            self.assertEqual({by_id[i]["attempts"] for i in crashing}, {3})  # default max_attempts
            self.assertIn("worker lost", by_id[sorted(crashing)[0]]["error"])
            self.assertIn("bad input", by_id["nacked"]["error"])
            acked_ids = set(acked(acks))
            # acked + dead = pushed: nothing vanished on the default config.
            self.assertEqual(acked_ids | set(by_id), set(pushed) | {"nacked"})
            self.assertEqual(acked_ids & set(by_id), set())
            self.assertNotIn("dropped", node.log())
            report(case="default store, default config", pushed=len(pushed) + 1,
                   acked=len(acked_ids), dead=len(dead), lost=0)


if __name__ == "__main__":
    unittest.main()
