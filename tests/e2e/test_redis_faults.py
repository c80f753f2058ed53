"""The redis driver under faults: a killed host, a graceful stop, a Redis restart, and bad input
(wrong password, a key of the wrong type, a read-only replica, maxmemory) — clear errors, the
host stays up, and no acknowledged push is lost. Figures are printed to stderr ("redis: ...").
"""
import json
import signal
import threading
import time
import unittest

from harness import wait_for
from redis_e2e import Node, ctx, kill_group, redis_yaml, report, stream_state
from redis_server import RedisServer


class HostFaultTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.redis.__exit__(None, None, None)

    def test_jobs_of_a_killed_host_are_reclaimed_by_another_as_a_new_attempt(self):
        yaml_text = redis_yaml({"addr": self.redis.url},
                               {"work": {"stream": "t6:reclaim", "claim_idle": "2s", "prefetch": 10}})
        a = Node(yaml_text)
        b = Node(yaml_text)
        ids = ["r-%d" % i for i in range(6)]
        try:
            a.start()
            with a.rpc() as client:
                client.push_batch([client.job("work", "t", i, json.dumps(
                    {"sleep": 2, "once_marker": "%s/%s" % (a.dir, i)}).encode()) for i in ids])
            a.wait_records(2)
            started_on_a = {ctx(r)["id"] for r in a.records()}
            wait_for(lambda: self.redis.call("XPENDING", "t6:reclaim", "coyote:work")[0] == 6,
                     what="all six pending on the first host")
            kill_group(a)
            killed_at = time.monotonic()
            b.start()
            b.wait_acked(ids, timeout=40)
            recovered = time.monotonic() - killed_at
            attempts = {i: ctx(b.deliveries(i)[0])["headers"].get("X-Coyote-Attempt") for i in ids}
            report(case="host killed", pushed=6, started_on_killed_host=len(started_on_a),
                   acked_by_survivor=len(set(b.acked())), lost=len(set(ids) - set(b.acked())),
                   seconds_to_recover="%.1f" % recovered)
            self.assertEqual(set(b.acked()), set(ids))
            self.assertEqual(attempts, {i: ["2"] for i in ids})
            self.assertIn("reclaimed", b.log())
            wait_for(lambda: stream_state(self.redis, "t6:reclaim", "coyote:work") == (0, 0, 0),
                     what="stream empty")
        finally:
            for node in (a, b):
                if node.proc is not None:
                    node.__exit__(None, None, None)

    def test_a_graceful_stop_returns_queued_jobs_to_the_stream(self):
        yaml_text = redis_yaml({"addr": self.redis.url}, {"drain": {"stream": "t6:drain"}}, workers=1)
        ids = ["g-%d" % i for i in range(10)]
        a = Node(yaml_text)
        with a, a.rpc() as client:
            client.push_batch([client.job("drain", "t", i, json.dumps({"sleep": 0.4}).encode()) for i in ids])
            a.wait_records(1)
            self.assertEqual(a.stop(signal.SIGTERM), 0, a.log()[-2000:])
        b = Node(yaml_text)
        with b:
            wait_for(lambda: set(a.acked()) | set(b.acked()) >= set(ids), timeout=30,
                     what="every job acked on one host or the other")
        both = a.acked() + b.acked()
        report(case="graceful stop", pushed=10, acked_before_stop=len(a.acked()),
               acked_after=len(b.acked()), duplicates=len(both) - len(set(both)))
        self.assertEqual(sorted(both), sorted(ids), "each job exactly once")
        for i in b.acked():
            self.assertNotIn("X-Coyote-Attempt", ctx(b.deliveries(i)[0])["headers"], i)


class RedisRestartTest(unittest.TestCase):
    def test_a_redis_restart_mid_run_loses_no_acknowledged_push(self):
        redis = RedisServer()  # appendonly yes, appendfsync always
        with redis:
            yaml_text = redis_yaml({"addr": redis.url, "command_timeout": "3s", "reconnect_max": "500ms"},
                                   {"live": {"stream": "t8:live"}}, workers=2)
            with Node(yaml_text, quiet=True) as node, node.rpc() as client:
                ok, failed = [], []
                stop = threading.Event()

                def pusher():
                    i = 0
                    with node.rpc() as push_client:
                        while not stop.is_set():
                            batch = ["p-%d-%d" % (i, k) for k in range(20)]
                            i += 1
                            try:
                                push_client.push_batch([push_client.job("live", "t", j, b"x") for j in batch])
                                ok.extend(batch)
                            except Exception as e:  # noqa: BLE001 - the figure counts refusals
                                failed.append(str(e))
                            time.sleep(0.01)

                thread = threading.Thread(target=pusher)
                thread.start()
                try:
                    wait_for(lambda: len(node.acked()) > 200, timeout=30, what="jobs flowing")
                    redis.kill()
                    errors = wait_for(lambda: (e := node.stat("live").get("error")) and e,
                                      timeout=20, what="the outage in jobs.Stat")
                    time.sleep(1.0)
                    redis.start()
                    wait_for(lambda: "error" not in node.stat("live"), timeout=30,
                             what="the error cleared after the restart\n" + node.log()[-2000:])
                    wait_for(lambda: len(ok) > len(node.acked()) // 2 + 200, timeout=30,
                             what="pushes accepted again")
                finally:
                    stop.set()
                    thread.join()
                lost = wait_for(lambda: not (set(ok) - set(node.acked())), timeout=60,
                                what="every acknowledged push acked by a worker (missing %d)" %
                                len(set(ok) - set(node.acked())))
                acked = node.acked()
                report(case="redis restart (appendfsync always)", pushes_acknowledged=len(ok),
                       pushes_refused=len(failed) * 20, acked=len(set(acked)),
                       lost=len(set(ok) - set(acked)), duplicate_runs=len(acked) - len(set(acked)))
                self.assertTrue(lost)
                self.assertIn("reconnecting", errors)
                log = node.log()
                self.assertIn("lost", log)
                self.assertRegex(log, r"connected to redis://[^ ]+ after \d+ failed attempt")
                for f in failed:
                    self.assertIn("redis", f)


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.redis.__exit__(None, None, None)

    def assert_host_up(self, node):
        with node.rpc() as client:
            self.assertIn("p", client.list())

    def test_a_wrong_password_is_a_clear_error_and_nothing_is_accepted(self):
        redis = RedisServer(password="right-one")
        with redis:
            for section, expect in (({"password": "wrong"}, ["WRONGPASS", "redis.password"]),
                                    ({}, ["NOAUTH", "set redis.password"])):
                yaml_text = redis_yaml(dict({"addr": redis.url, "command_timeout": "1s"}, **section),
                                       {"p": {"stream": "t9:auth"}})
                with Node(yaml_text) as node, node.rpc() as client:
                    with self.assertRaises(Exception) as refused:
                        client.push("p", "t", "never", b"x")
                    error = wait_for(lambda: node.stat("p").get("error"), what="error in jobs.Stat")
                    for text in expect:
                        self.assertIn(text, node.log())
                        self.assertIn(text, error)
                    self.assertIn("not connected", str(refused.exception))
                    self.assert_host_up(node)
            self.assertEqual(redis.call("EXISTS", "t9:auth"), 0, "nothing was stored")
            yaml_text = redis_yaml({"addr": redis.url, "password": "right-one"}, {"p": {"stream": "t9:auth"}})
            with Node(yaml_text) as node, node.rpc() as client:
                client.push("p", "t", "fine", b"x")
                node.wait_acked(["fine"])

    def test_a_key_of_the_wrong_type_at_the_stream_name(self):
        self.redis.call("SET", "t9:wrong", "a string, not a stream")
        yaml_text = redis_yaml({"addr": self.redis.url}, {"p": {"stream": "t9:wrong"}})
        with Node(yaml_text) as node, node.rpc() as client:
            with self.assertRaises(Exception) as refused:
                client.push("p", "t", "no", b"x")
            self.assertIn("WRONGTYPE", str(refused.exception))
            self.assertIn('"t9:wrong"', str(refused.exception))
            self.assertIn("`stream`", str(refused.exception))
            error = wait_for(lambda: node.stat("p").get("error"), what="error in jobs.Stat")
            self.assertIn("WRONGTYPE", error)
            self.assert_host_up(node)
            self.redis.call("DEL", "t9:wrong")
            wait_for(lambda: pushed(client, "yes"), timeout=20, what="a push accepted after DEL")
            node.wait_acked(["yes"])
            self.assertEqual(node.acked(), ["yes"])

    def test_a_read_only_replica_refuses_pushes_until_it_is_promoted(self):
        replica = RedisServer(args=["--replicaof", "127.0.0.1", str(self.redis.port)])
        with replica:
            yaml_text = redis_yaml({"addr": replica.url, "reconnect_max": "500ms"}, {"p": {"stream": "t9:ro"}})
            with Node(yaml_text) as node, node.rpc() as client:
                with self.assertRaises(Exception) as refused:
                    client.push("p", "t", "no", b"x")
                self.assertIn("READONLY", str(refused.exception))
                self.assertIn("primary", str(refused.exception))
                error = wait_for(lambda: node.stat("p").get("error"), what="error in jobs.Stat")
                self.assertIn("READONLY", error)
                self.assert_host_up(node)
                replica.call("REPLICAOF", "NO", "ONE")
                wait_for(lambda: pushed(client, "yes"), timeout=20, what="a push accepted after promotion")
                node.wait_acked(["yes"])
                wait_for(lambda: "error" not in node.stat("p") or "READONLY" not in node.stat("p")["error"],
                         timeout=40, what="the READONLY error gone from the state")

    def test_wait_replicas_acknowledges_a_push_only_once_replicas_have_it(self):
        replica = RedisServer(args=["--replicaof", "127.0.0.1", str(self.redis.port)])
        with replica:
            wait_for(lambda: "state=online" in pairs_info(self.redis.call("INFO", "replication")).get("slave0", ""),
                     what="the replica in sync")
            for want, accepted in ((1, True), (2, False)):
                yaml_text = redis_yaml({"addr": self.redis.url, "wait_replicas": want, "wait_timeout": "2s"},
                                       {"p": {"stream": "t9:wait%d" % want}}, consume=[])
                with Node(yaml_text) as node, node.rpc() as client:
                    if accepted:
                        client.push("p", "t", "w", b"x")
                        wait_for(lambda: replica.call("XLEN", "t9:wait1") == 1, what="on the replica")
                    else:
                        with self.assertRaises(Exception) as refused:
                            client.push("p", "t", "w", b"x")
                        self.assertIn("only 1 of 2 replica(s)", str(refused.exception))

    def test_maxmemory_refuses_pushes_clearly_and_loses_nothing_accepted(self):
        redis = RedisServer(args=["--maxmemory-policy", "noeviction"])
        with redis:
            used = int(pairs_info(redis.call("INFO", "memory"))["used_memory"])
            redis.call("CONFIG", "SET", "maxmemory", str(used + 3 * 1024 * 1024))
            yaml_text = redis_yaml({"addr": redis.url}, {"p": {"stream": "t9:oom"}}, consume=[])
            with Node(yaml_text, quiet=True) as node, node.rpc() as client:
                ok, refusal = [], None
                for b in range(200):
                    batch = ["m-%d-%d" % (b, k) for k in range(100)]
                    try:
                        client.push_batch([client.job("p", "t", j, b"y" * 1000) for j in batch])
                        ok.extend(batch)
                    except Exception as e:  # noqa: BLE001
                        refusal = str(e)
                        break
                self.assertIsNotNone(refusal, "maxmemory was never reached")
                self.assertIn("OOM", refusal)
                self.assertIn("maxmemory", refusal)
                self.assertIn("OOM", node.stat("p").get("error", ""))
                self.assert_host_up(node)
                stored = redis.call("XLEN", "t9:oom")
                client.resume("p")
                node.wait_acked(ok, timeout=60)
                report(case="maxmemory", pushes_acknowledged=len(ok), stored=stored,
                       acked=len(set(node.acked())), lost=len(set(ok) - set(node.acked())))
                self.assertGreaterEqual(stored, len(ok))
                wait_for(lambda: redis.call("XLEN", "t9:oom") == 0, what="stream drained")
                client.push("p", "t", "after", b"x")  # memory is free again
                node.wait_acked(["after"])


def pushed(client, job_id):
    try:
        client.push("p", "t", job_id, b"x")
        return True
    except Exception:  # noqa: BLE001 - refused until the fault is repaired
        return False


def pairs_info(text):
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out


if __name__ == "__main__":
    unittest.main()
