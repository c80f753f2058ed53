"""The redis driver end to end: every key, the entry format, delays, requeue, every worker answer.

One redis-server for the whole file (its own port and temp dir, appendonly, stopped by pid); each
test uses streams of its own. Real coyote binary, real Python and PHP worker processes.
"""
import json
import os
import socket
import subprocess
import threading
import time
import unittest

from harness import SOURCE_DIR, wait_for
from redis_e2e import PHP_WORKER, Node, ctx, redis_yaml, report, stream_state
from redis_server import RedisServer, pairs

PHP_CLIENT = os.path.join(SOURCE_DIR, "tests", "e2e", "php", "rpc_client.php")


def php_rpc(address, *args):
    proc = subprocess.run(["php", PHP_CLIENT, "--address", address] + list(args),
                          capture_output=True, timeout=60)
    return json.loads(proc.stdout.decode() or '{"ok":false,"error":"no output"}')


class RedisDriverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.redis.__exit__(None, None, None)

    def section(self, **extra):
        return dict({"addr": self.redis.url}, **extra)

    def test_jobs_flow_through_the_stream_and_acks_delete_the_entries(self):
        yaml_text = redis_yaml(self.section(), {"flow": {"stream": "t1:flow"}})
        with Node(yaml_text) as node, node.rpc() as client:
            ids = ["f-%d" % i for i in range(30)]
            client.push("flow", "App\\Job\\One", ids[0], b"first", headers={"x-trace": ["abc"]})
            client.push_batch([client.job("flow", "App\\Job\\Many", i, b"body") for i in ids[1:]])
            node.wait_acked(ids)
            first = ctx(node.deliveries(ids[0])[0])
            self.assertEqual(first["driver"], "redis")
            self.assertEqual(first["pipeline"], "flow")
            self.assertEqual(first["job"], "App\\Job\\One")
            self.assertEqual(first["headers"], {"x-trace": ["abc"]})
            self.assertEqual(node.deliveries(ids[0])[0]["body"], "first")
            # Each job once, in stream order.
            order = [ctx(r)["id"] for r in node.records()]
            self.assertEqual(sorted(order), sorted(ids))
            wait_for(lambda: stream_state(self.redis, "t1:flow", "coyote:flow") == (0, 0, 0),
                     what="stream emptied by the acks")
            consumers = [pairs(c)["name"] for c in self.redis.call("XINFO", "CONSUMERS", "t1:flow", "coyote:flow")]
            self.assertEqual(consumers, ["%s:%d" % (socket.gethostname(), node.proc.pid)])
            stat = wait_for(lambda: (s := node.stat("flow")) and s.get("active", 0) == 0 and s,
                            what="jobs.Stat active 0")
            self.assertEqual((stat["driver"], stat["queue"], stat["ready"]), ("redis", "t1:flow", True))
            self.assertNotIn("error", stat)

    def test_unix_socket_acl_user_database_and_pool_size(self):
        acl = ["--user", "app", "on", ">app-secret", "~t11:*", "+@all"]
        with RedisServer(args=acl, unixsocket=True) as redis:
            section = {"addr": "unix://%s?db=3" % redis.unix, "username": "app", "password": "app-secret",
                       "pool_size": 3, "connect_timeout": "2s", "command_timeout": "5s"}
            yaml_text = redis_yaml(section, {"u1": {"stream": "t11:a"}, "u2": {"stream": "t11:b"}})
            with Node(yaml_text) as node, node.rpc() as client:
                client.push_batch([client.job("u1", "t", "a-%d" % i, b"x") for i in range(10)])
                client.push_batch([client.job("u2", "t", "b-%d" % i, b"x") for i in range(10)])
                node.wait_acked(["a-%d" % i for i in range(10)] + ["b-%d" % i for i in range(10)])
                with redis.client() as admin:
                    admin.call("SELECT", 3)
                    self.assertEqual(admin.call("EXISTS", "t11:a", "t11:b"), 2)
                    admin.call("SELECT", 0)
                    self.assertEqual(admin.call("EXISTS", "t11:a", "t11:b"), 0)
                    ours = [line for line in admin.call("CLIENT", "LIST").splitlines() if " name=coyote:" in line]
                # pool_size command connections plus one reader per consuming pipeline, all as app.
                self.assertEqual(len(ours), 3 + 2, ours)
                for line in ours:
                    self.assertIn(" user=app ", line)
                    self.assertIn(" db=3 ", line)
                    self.assertIn("addr=/", line)  # a unix socket

    def test_the_entry_format_is_readable_and_hand_written_entries_are_jobs(self):
        yaml_text = redis_yaml(self.section(), {"fmt": {"stream": "t1:fmt"}}, consume=[])
        with Node(yaml_text) as node, node.rpc() as client:
            client.push("fmt", "App\\Job", "fmt-1", b'{"a":1}', headers={"k": ["v1", "v2"]}, priority=4)
            entries = self.redis.call("XRANGE", "t1:fmt", "-", "+")
            self.assertEqual(len(entries), 1)
            fields = pairs(entries[0][1])
            self.assertEqual(fields, {"id": "fmt-1", "job": "App\\Job", "payload": '{"a":1}',
                                      "headers": '{"k":["v1","v2"]}', "priority": "4"})
            # An application may XADD jobs itself: only job and payload are needed.
            entry_id = self.redis.call("XADD", "t1:fmt", "*", "job", "Hand\\Made", "payload", "plain")
            client.resume("fmt")
            node.wait_acked(["fmt-1", entry_id])
            hand = ctx(node.deliveries(entry_id)[0])
            self.assertEqual(hand["job"], "Hand\\Made")
            self.assertEqual(node.deliveries(entry_id)[0]["body"], "plain")

    def test_group_consumer_prefetch_and_keeping_entries(self):
        yaml_text = redis_yaml(self.section(), {"keys": {
            "stream": "t2:keys", "group": "g-custom", "consumer": "box-a", "prefetch": 2,
            "delete_on_ack": False}}, workers=2)
        with Node(yaml_text) as node, node.rpc() as client:
            ids = ["k-%d" % i for i in range(8)]
            client.push_batch([client.job("keys", "t", i, json.dumps({"sleep": 0.25}).encode()) for i in ids])
            most = [0]
            stop = threading.Event()

            def sample():
                while not stop.is_set():
                    try:
                        summary = self.redis.call("XPENDING", "t2:keys", "g-custom")
                        most[0] = max(most[0], summary[0])
                    except Exception:
                        pass
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample)
            sampler.start()
            try:
                node.wait_acked(ids)
            finally:
                stop.set()
                sampler.join()
            report(case="prefetch", prefetch=2, most_pending=most[0])
            self.assertLessEqual(most[0], 2)
            self.assertGreaterEqual(most[0], 1)
            wait_for(lambda: stream_state(self.redis, "t2:keys", "g-custom") == (8, 0, 0),
                     what="entries kept, none pending")
            groups = [pairs(g)["name"] for g in self.redis.call("XINFO", "GROUPS", "t2:keys")]
            self.assertEqual(groups, ["g-custom"])
            consumers = [pairs(c)["name"] for c in self.redis.call("XINFO", "CONSUMERS", "t2:keys", "g-custom")]
            self.assertEqual(consumers, ["box-a"])

    def test_maxlen_trims_the_stream(self):
        yaml_text = redis_yaml(self.section(), {
            "exact": {"stream": "t2:exact", "maxlen": 10, "maxlen_exact": True},
            "approx": {"stream": "t2:approx", "maxlen": 100}}, consume=[])
        with Node(yaml_text) as node, node.rpc() as client:
            client.push_batch([client.job("exact", "t", "e-%d" % i, b"x") for i in range(50)])
            for start in range(0, 1000, 250):
                client.push_batch([client.job("approx", "t", "a-%d" % i, b"x") for i in range(start, start + 250)])
            self.assertEqual(self.redis.call("XLEN", "t2:exact"), 10)
            kept = self.redis.call("XRANGE", "t2:exact", "-", "+")
            self.assertEqual([pairs(e[1])["id"] for e in kept], ["e-%d" % i for i in range(40, 50)])
            approx = self.redis.call("XLEN", "t2:approx")
            self.assertGreaterEqual(approx, 100)
            self.assertLess(approx, 1000)

    def test_priority_between_pipelines_is_the_hosts_and_each_stream_is_fifo(self):
        yaml_text = redis_yaml(self.section(), {
            "hi": {"stream": "t2:hi", "_top": {"priority": 1}},
            "lo": {"stream": "t2:lo", "_top": {"priority": 9}}}, workers=1)
        with Node(yaml_text) as node, node.rpc() as client:
            client.push("hi", "t", "gate", json.dumps({"sleep": 1.5}).encode())
            node.wait_records(1)
            client.push_batch([client.job("lo", "t", "lo-%d" % i, b"x") for i in range(5)])
            client.push_batch([client.job("hi", "t", "hi-%d" % i, b"x") for i in range(5)])
            node.wait_acked(["gate"] + ["lo-%d" % i for i in range(5)] + ["hi-%d" % i for i in range(5)])
            order = [ctx(r)["id"] for r in node.records()][1:]
            self.assertEqual(order, ["hi-%d" % i for i in range(5)] + ["lo-%d" % i for i in range(5)])

    def test_a_pipeline_declared_by_the_php_client_runs_php_workers(self):
        yaml_text = redis_yaml(self.section(), {}, consume=["decl"], command="php " + PHP_WORKER)
        with Node(yaml_text) as node:
            declared = php_rpc(node.address, "declare", "decl", "redis", "stream=t3:decl", "prefetch=5",
                               "priority=3", "delete_on_ack=true", "claim_idle=10", "maxlen=0")
            self.assertTrue(declared["ok"], declared)
            for i in range(20):
                self.assertTrue(php_rpc(node.address, "push", "decl", "App\\Job", '{"n":%d}' % i, "d-%d" % i)["ok"])
            wait_for(lambda: stream_state(self.redis, "t3:decl", "coyote:decl") == (0, 0, 0), timeout=30,
                     what="20 PHP jobs acked\n" + node.log()[-2000:])
            groups = {pairs(g)["name"]: pairs(g) for g in self.redis.call("XINFO", "GROUPS", "t3:decl")}
            self.assertEqual(groups["coyote:decl"]["entries-read"], 20)
            stat = php_rpc(node.address, "stat")["result"]
            self.assertIn("decl", json.dumps(stat))
            # A bad value is refused with its key named.
            bad = php_rpc(node.address, "declare", "bad", "redis", "prefetch=many")
            self.assertFalse(bad["ok"])
            self.assertIn("prefetch", bad["error"])

    def test_delayed_jobs_wait_in_redis_across_a_host_restart(self):
        yaml_text = redis_yaml(self.section(), {"later": {"stream": "t4:later"}})
        first = Node(yaml_text)
        with first, first.rpc() as client:
            pushed_at = time.time()
            client.push("later", "t", "late-1", b"x", delay=3)
            client.push("later", "t", "now-1", b"x")
            first.wait_acked(["now-1"])
            self.assertEqual(self.redis.call("ZCARD", "t4:later:delayed"), 1)
            # The immediate job's ack may still be on its way to Redis when its worker reported.
            wait_for(lambda: (s := first.stat("later")) and s.get("delayed") == 1 and not s.get("active"),
                     what="jobs.Stat delayed 1, active 0")
        self.assertNotIn("late-1", first.acked())
        second = Node(yaml_text)
        with second:
            second.wait_acked(["late-1"], timeout=20)
            ran_at = second.deliveries("late-1")[0]["time"]
            report(case="delay across restart", delay=3, ran_after="%.2f" % (ran_at - pushed_at))
            self.assertGreaterEqual(ran_at - pushed_at, 2.9)
            self.assertEqual(self.redis.call("ZCARD", "t4:later:delayed"), 0)

    def test_every_worker_response_type(self):
        yaml_text = redis_yaml(self.section(), {"resp": {
            "stream": "t5:resp",
            "_top": {"dead_letter": "dlq", "retry": {"max_attempts": 3, "backoff": "constant", "initial": "0s"}}}})
        with Node(yaml_text) as node, node.rpc() as client:
            d = node.dir

            def once(job_id, body):
                return json.dumps({"reply": body, "once_marker": "%s/%s.once" % (d, job_id)}).encode()

            jobs = {
                "t0": once("t0", '{"type":0,"data":[]}'),
                "t2": once("t2", '{"type":2,"data":[]}'),
                "t1-requeue": once("t1-requeue", '{"type":1,"data":{"message":"m","requeue":true,'
                                                 '"delay_seconds":0,"headers":{"h":["1"]}}}'),
                "t1-fail": once("t1-fail", '{"type":1,"data":{"message":"bad","requeue":false}}'),
                "t3-requeue": once("t3-requeue", '{"type":3,"data":{"message":"m","requeue":true,'
                                                 '"delay_seconds":1}}'),
                "t3-fail": once("t3-fail", '{"type":3,"data":{"message":"no","requeue":false}}'),
                "t4": once("t4", '{"type":4,"data":{"message":"again","delay_seconds":1,'
                                 '"headers":{"retried":["yes"]}}}'),
                "unknown": once("unknown", '{"type":9,"data":[]}'),
                "garbage": once("garbage", "not json"),
                "crash": json.dumps({"crash_once_marker": d + "/crash.once"}).encode(),
                "soft": json.dumps({"soft_error": "boom", "once_marker": d + "/soft.once"}).encode(),
            }
            for job_id, body in jobs.items():
                client.push("resp", "t", job_id, body)
            twice = ["t1-requeue", "t3-requeue", "t4", "garbage", "crash", "soft"]
            wait_for(lambda: all(len(node.deliveries(j)) >= 2 for j in twice), timeout=40,
                     what="redeliveries\n" + node.log()[-3000:])
            dead = wait_for(lambda: (x := client.call("coyote.DeadList", {}).get("jobs") or []) and len(x) == 2 and x,
                            what="two dead jobs")
            self.assertEqual({j["id"] for j in dead}, {"t1-fail", "t3-fail"})
            wait_for(lambda: stream_state(self.redis, "t5:resp", "coyote:resp") == (0, 0, 0), timeout=20,
                     what="stream, pending and delayed set empty")
            counts = {j: len(node.deliveries(j)) for j in jobs}
            report(case="responses", deliveries=counts)
            for j in ["t0", "t2", "t1-fail", "t3-fail", "unknown"]:
                self.assertEqual(counts[j], 1, j)
            for j in twice:
                self.assertEqual(counts[j], 2, j)
            headers = lambda j, n: ctx(node.deliveries(j)[n])["headers"]
            self.assertEqual(headers("t1-requeue", 1).get("h"), ["1"])
            self.assertEqual(headers("t4", 1).get("retried"), ["yes"])
            for j in ["garbage", "crash", "soft"]:
                self.assertEqual(headers(j, 1).get("X-Coyote-Attempt"), ["2"], j)
            for j in ["t3-requeue", "t4"]:
                gap = node.deliveries(j)[1]["time"] - node.deliveries(j)[0]["time"]
                self.assertGreaterEqual(gap, 0.9, j)


if __name__ == "__main__":
    unittest.main()
