"""The durable embedded driver (sqlite, boltdb) end to end: kill -9 loops, delayed jobs across a
restart, RoadRunner's boltdb keys and PHP's Declare, a second host on the same file.

Real binary, real Python and PHP workers, real files. Figures are printed to stderr.
"""
import json
import os
import random
import signal
import socket
import sqlite3
import stat as stat_mode
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import shutil

from goridge_rpc import RpcClient, RpcError
from harness import Coyote, SOURCE_DIR, wait_for

PHP_CLIENT = os.path.join(SOURCE_DIR, "tests", "e2e", "php", "rpc_client.php")
PHP_WORKER = os.path.join(SOURCE_DIR, "examples", "workers", "worker.php")


def report(**figures):
    sys.stderr.write("sqlite: " + ", ".join("%s=%s" % kv for kv in figures.items()) + "\n")


def php(address, *args):
    proc = subprocess.run(["php", PHP_CLIENT, "--address", address] + list(args),
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    out = proc.stdout.decode().strip().splitlines()
    if not out:
        raise AssertionError("php client printed nothing; stderr: " + proc.stderr.decode())
    return json.loads(out[-1])


def yaml_for(pipelines, consume, workers=2, command="python3 @WORKER@", extra_jobs=""):
    return """
version: "3"
rpc:
  listen: @RPC@
server:
  command: "%s"
logs:
  level: info
jobs:
  pool:
    num_workers: %d
    allocate_timeout: 20s
    destroy_timeout: 5s
%s  consume: %s
  pipelines:
%s""" % (command, workers, extra_jobs, json.dumps(consume), pipelines)


def stored(path):
    """(queue name, job id, attempt) of every row, read after every host let go of the file."""
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT queues.name, jobs.id, jobs.attempt FROM jobs "
                          "JOIN queues ON queues.id = jobs.queue ORDER BY jobs.seq").fetchall()
    finally:
        db.close()


def ctx(record):
    return json.loads(record["context"])


class Data:
    """A directory outlasting the hosts that use it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="coyote-sqlite-e2e-")

    def path(self, name):
        return os.path.join(self.dir, name)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Producer(threading.Thread):
    """Pushes unique ids one at a time; an id counts as pushed only once its push was answered
    ok. A push whose answer was lost (the host died) is "unknown": it may or may not be held."""

    def __init__(self, name, address_of, pipeline):
        super().__init__(daemon=True)
        self.name_prefix, self.address_of, self.pipeline = name, address_of, pipeline
        self.ok, self.unknown, self.refused = [], [], 0
        self.stop = threading.Event()

    def run(self):
        n, client = 0, None
        while not self.stop.is_set():
            if client is None:
                try:
                    client = RpcClient(self.address_of(), timeout=10)
                except OSError:
                    client = None
                    time.sleep(0.02)
                    continue
            job_id = "%s-%d" % (self.name_prefix, n)
            try:
                client.push(self.pipeline, "t", job_id, b"x")
                self.ok.append(job_id)
                n += 1
            except RpcError:
                self.refused += 1  # answered with an error: not held, may be pushed again
                time.sleep(0.01)
            except (OSError, ConnectionError, ValueError):
                self.unknown.append(job_id)
                n += 1
                client.close()
                client = None
        if client is not None:
            client.close()


class KillLoopTest(unittest.TestCase):
    KILLS = int(os.environ.get("COYOTE_SQLITE_KILLS", "12"))
    PRODUCERS = 3

    def test_kill_9_loop_loses_no_acknowledged_push(self):
        data = Data()
        db = data.path("q.db")
        acks = data.path("acks.txt")
        pipelines = """    p:
      driver: sqlite
      retry:
        max_attempts: 10
        backoff: constant
        initial: 0s
        jitter: 0
      dead_letter: dead
      config:
        file: %s
        prefetch: 50
    dead:
      driver: sqlite
      config:
        file: %s
""" % (db, db)
        yaml_text = yaml_for(pipelines, ["p"], workers=4)
        current = {"address": None}
        producers = [Producer("k%d" % i, lambda: current["address"] or "tcp://127.0.0.1:1", "p")
                     for i in range(self.PRODUCERS)]
        rng = random.Random(7)
        hosts, kills = [], 0
        try:
            for p in producers:
                p.start()
            for _ in range(self.KILLS):
                host = Coyote(yaml_text, extra_env={"COYOTE_E2E_ACKS": acks})
                hosts.append(host)
                host.start()
                current["address"] = host.address
                time.sleep(rng.uniform(0.4, 1.0))
                os.kill(host.proc.pid, signal.SIGKILL)
                host.proc.wait()
                host.log_file.close()
                kills += 1
            for p in producers:
                p.stop.set()
            for p in producers:
                p.join(timeout=30)
            # A last host drains what is left, then stops gracefully.
            final = Coyote(yaml_text, extra_env={"COYOTE_E2E_ACKS": acks})
            hosts.append(final)
            with final, final.rpc() as client:
                # The sentinel goes in after every older job: once it ran, the store has handed
                # out all of them; then nothing may be left.
                client.push("p", "t", "sentinel", b"x")
                wait_for(lambda: "sentinel" in open(acks).read().split(), timeout=120,
                         what="the sentinel job\n" + final.log()[-3000:])
                wait_for(lambda: (s := client.stat().get("p")) and s.get("active", 0) == 0
                         and s.get("reserved", 0) == 0 and s.get("delayed", 0) == 0,
                         timeout=120, interval=0.1, what="pipeline p drained\n" + final.log()[-3000:])
            pushed = set()
            unknown = set()
            for p in producers:
                pushed.update(p.ok)
                unknown.update(p.unknown)
            with open(acks) as f:
                acked_lines = [line.strip() for line in f if line.strip() and line.strip() != "sentinel"]
            delivered = set(acked_lines)
            rows = stored(db)
            queued = {r[1] for r in rows if r[0] == "p"}
            dead = {r[1] for r in rows if r[0] == "dead"}
            lost = pushed - delivered - dead - queued
            phantom = (delivered | dead | queued) - pushed - unknown
            landed = unknown & (delivered | dead | queued)
            redelivered = sum(1 for h in hosts for r in h.records()
                              if "X-Coyote-Attempt" in ctx(r)["headers"])
            recovered = sum(h.log().count("were handed to workers when the host stopped")
                            for h in hosts)
            report(case="kill -9 loop", kills=kills, pushed=len(pushed), unknown=len(unknown),
                   unknown_landed=len(landed), acked=len(delivered - dead), dead=len(dead),
                   queued=len(queued), lost=len(lost), phantom=len(phantom),
                   duplicate_deliveries=len(acked_lines) - len(delivered),
                   redelivered_with_attempt=redelivered, recoveries_logged=recovered,
                   refused=sum(p.refused for p in producers))
            self.assertGreaterEqual(kills, 10)
            self.assertGreater(len(pushed), 100, "the producers hardly pushed: the test proved nothing")
            self.assertEqual(lost, set(), "acknowledged pushes lost")
            self.assertEqual(phantom, set())
            # acked + queued + dead = pushed (ids whose push answer was lost count if they landed)
            self.assertEqual(len((delivered - dead) | queued | dead), len(pushed | landed))
            self.assertEqual(queued, set())
            self.assertGreater(recovered, 0, "no kill hit a reserved job: the test proved nothing")
        finally:
            for p in producers:
                p.stop.set()
            for h in hosts:
                h.kill()
            data.close()


class DelayedAcrossRestartTest(unittest.TestCase):
    def test_delayed_jobs_pending_at_a_kill_run_at_their_due_time(self):
        data = Data()
        db = data.path("d.db")
        pipelines = """    p:
      driver: sqlite
      config:
        file: %s
""" % db
        yaml_text = yaml_for(pipelines, ["p"], workers=2)
        try:
            first = Coyote(yaml_text)
            pushed_at = {}
            with first:
                with first.rpc() as client:
                    for i in range(20):
                        # Twenty jobs due within the same second or two: none may collide.
                        # Taken before the push is sent: the host's due time is later still.
                        pushed_at["d%d" % i] = time.time()
                        client.push("p", "t", "d%d" % i, b"later", delay=3)
                    client.push("p", "t", "now", b"x")
                first.wait_records(1)
                os.kill(first.proc.pid, signal.SIGKILL)
                first.proc.wait()
            self.assertEqual([ctx(r)["id"] for r in first.records()], ["now"])
            second = Coyote(yaml_text)
            with second, second.rpc() as client:
                self.assertEqual(client.stat()["p"].get("delayed"), 20)
                # "now" may run again (killed before its ack was written: at-least-once).
                delayed = lambda: [r for r in second.records() if ctx(r)["id"] in pushed_at]
                records = wait_for(lambda: len(delayed()) >= 20 and delayed(), timeout=20,
                                   what="20 delayed jobs\n" + second.log()[-2000:])
                early = [(ctx(r)["id"], r["time"] - pushed_at[ctx(r)["id"]]) for r in records
                         if r["time"] < pushed_at[ctx(r)["id"]] + 3]
                ids = sorted(ctx(r)["id"] for r in records)
                report(case="delayed across kill -9", pushed=20, delivered=len(ids),
                       earliest_after_push="%.2fs" % min(r["time"] - pushed_at[ctx(r)["id"]]
                                                         for r in records))
                self.assertEqual(ids, sorted(pushed_at))
                self.assertEqual(early, [])
                wait_for(lambda: client.stat()["p"].get("delayed", 0) == 0, what="delayed count 0")
        finally:
            data.close()


class BoltdbCompatibilityTest(unittest.TestCase):
    def test_boltdb_with_roadrunner_keys_and_php_declare(self):
        data = Data()
        pipelines = """    rrb:
      driver: boltdb
      config:
        file: %s
        permissions: 0755
        priority: 10
        prefetch: 10000
""" % data.path("rr.db")
        yaml_text = yaml_for(pipelines, ["rrb"], workers=2, command="php " + PHP_WORKER)
        old_umask = os.umask(0o022)
        try:
            with Coyote(yaml_text) as host, host.rpc() as client:
                for i in range(5):
                    client.push("rrb", "App\\Job", "y%d" % i, b"{}")
                wait_for(lambda: all("job y%d (App\\Job) from rrb" % i in host.log() for i in range(5)),
                         what="5 jobs run by the PHP worker\n" + host.log()[-2000:])
                state = client.stat()["rrb"]
                self.assertEqual((state["driver"], state["queue"]), ("boltdb", "push"))
                self.assertEqual(stat_mode.S_IMODE(os.stat(data.path("rr.db")).st_mode), 0o755)

                # What PHP's Jobs::create(new BoltdbCreateInfo('b2', 'b2.db')) sends.
                declared = php(host.address, "declare", "b2", "boltdb", "priority=10",
                               "prefetch=10000", "file=" + data.path("b2.db"), "permissions=493")
                self.assertTrue(declared["ok"], declared)
                self.assertTrue(php(host.address, "resume", "b2")["ok"])
                self.assertTrue(php(host.address, "push", "b2", "App\\Job", "{}", "php-b2")["ok"])
                wait_for(lambda: "job php-b2 (App\\Job) from b2" in host.log(),
                         what="the declared pipeline's job\n" + host.log()[-2000:])
                self.assertEqual(stat_mode.S_IMODE(os.stat(data.path("b2.db")).st_mode), 0o755)
                wait_for(lambda: client.stat()["b2"].get("reserved", 0) == 0, what="b2 acked")

                # An existing bbolt file (RoadRunner's) is refused by name and left alone.
                bolt = bytearray(4096)
                bolt[16:20] = bytes([0xED, 0xDA, 0x0C, 0xED])
                with open(data.path("old-rr.db"), "wb") as f:
                    f.write(bolt)
                refused = php(host.address, "declare", "b3", "boltdb", "file=" + data.path("old-rr.db"))
                self.assertFalse(refused["ok"])
                self.assertIn(data.path("old-rr.db") + " is a bbolt (BoltDB) file", refused["error"])
                with open(data.path("old-rr.db"), "rb") as f:
                    self.assertEqual(f.read(), bytes(bolt))
        finally:
            os.umask(old_umask)
            data.close()


class SecondHostTest(unittest.TestCase):
    def test_a_second_host_on_the_same_file_is_refused_then_takes_over(self):
        data = Data()
        db = data.path("shared.db")
        pipelines = """    p:
      driver: sqlite
      config:
        file: %s
""" % db
        yaml_text = yaml_for(pipelines, [], workers=1)
        first = Coyote(yaml_text)
        try:
            first.start()
            with first.rpc() as client:
                client.push("p", "t", "held-by-first", b"x")
            second = Coyote(yaml_text)
            with second, second.rpc() as client:
                with self.assertRaises(RpcError) as refused:
                    client.push("p", "t", "refused", b"x")
                self.assertIn("%s is locked by process %d" % (db, first.proc.pid), str(refused.exception))
                self.assertIn("a second Coyote", str(refused.exception))
                jobs_state = {s["Pipeline"]: s for s in client.call("informer.Jobs", "jobs")}
                self.assertIn("locked by process", jobs_state["p"]["ErrorMessage"])
                self.assertEqual(first.stop(), 0)
                wait_for(lambda: self._pushes(client), timeout=20, interval=0.2,
                         what="the second host takes the file over\n" + second.log()[-2000:])
                wait_for(lambda: client.stat()["p"].get("active") == 2, what="both jobs counted")
                self.assertIn("works again", second.log())
        finally:
            if first.proc and first.proc.poll() is None:
                os.killpg(first.proc.pid, signal.SIGKILL)
                first.proc.wait()
            if first.proc:
                first.log_file.close()
            data.close()

    @staticmethod
    def _pushes(client):
        try:
            client.push("p", "t", "after", b"x")
            return True
        except RpcError:
            return False


if __name__ == "__main__":
    unittest.main()
