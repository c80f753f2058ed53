"""Two Coyote hosts on one Redis stream, each in its own network namespace (spec 5.4): one
consumer group shared by both, so each job runs once; with one host killed, none is lost.

Topology: namespaces broker (redis-server), h1 and h2 (coyote + 2 Python workers each) on a
bridge; the test reaches all three through the bridge. Figures go to stderr ("redis: ...").
"""
import collections
import json
import threading
import time
import unittest

import netns
from harness import wait_for
from redis_e2e import Node, ctx, kill_group, redis_yaml, report, stream_state
from redis_server import RedisServer

AVAILABLE, WHY = netns.available()


@unittest.skipUnless(AVAILABLE, WHY)
class TwoHostsTest(unittest.TestCase):
    JOBS = 2000

    def setUp(self):
        self.net = netns.Topology(["broker", "h1", "h2"]).setup()
        self.redis = RedisServer(bind=self.net.ip("broker"), netns=(self.net, "broker"))
        self.nodes = []
        try:
            self.redis.start()
        except Exception:
            self.net.teardown()
            raise

    def tearDown(self):
        try:
            for node in self.nodes:
                if node.proc is not None:
                    node.__exit__(None, None, None)
            self.redis.kill()
        finally:
            self.net.teardown()

    def host(self, name, stream):
        yaml_text = redis_yaml({"addr": self.redis.url, "reconnect_max": "1s"},
                               {"shared": {"stream": stream, "claim_idle": "2s", "prefetch": 50}})
        node = Node(yaml_text, quiet=True, topology=self.net, host=name)
        self.nodes.append(node)
        node.start()
        netns.wait_tcp(self.net, name, self.redis.bind, self.redis.port)
        return node

    def push_through_both(self, h1, h2, ids, body):
        half = len(ids) // 2
        threads = []
        for node, part in ((h1, ids[:half]), (h2, ids[half:])):
            def push(node=node, part=part):
                with node.rpc() as client:
                    for i in range(0, len(part), 100):
                        client.push_batch([client.job("shared", "t", j, body) for j in part[i:i + 100]])
            threads.append(threading.Thread(target=push))
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def test_each_job_runs_once_across_two_hosts(self):
        h1, h2 = self.host("h1", "t10:once"), self.host("h2", "t10:once")
        ids = ["o-%d" % i for i in range(self.JOBS)]
        self.push_through_both(h1, h2, ids, b"x")
        wait_for(lambda: set(h1.acked()) | set(h2.acked()) >= set(ids), timeout=120,
                 what="every job acked on h1 or h2")
        runs = collections.Counter(h1.acked() + h2.acked())
        duplicates = [i for i, n in runs.items() if n > 1]
        report(case="two hosts, no faults", pushed=len(ids), h1=len(h1.acked()), h2=len(h2.acked()),
               duplicates=len(duplicates), lost=len(set(ids) - set(runs)))
        self.assertEqual(duplicates, [])
        self.assertEqual(set(runs), set(ids))
        self.assertGreater(len(h1.acked()), 0)
        self.assertGreater(len(h2.acked()), 0)
        wait_for(lambda: stream_state(self.redis, "t10:once", "coyote:shared") == (0, 0, 0),
                 what="stream empty")

    def test_no_job_is_lost_when_one_host_is_killed(self):
        # h1 records every delivery it starts, so duplicates can be traced to jobs it had begun.
        h1 = Node(redis_yaml({"addr": self.redis.url, "reconnect_max": "1s"},
                             {"shared": {"stream": "t10:kill", "claim_idle": "2s", "prefetch": 50}}),
                  topology=self.net, host="h1")
        self.nodes.append(h1)
        h1.start()
        h2 = self.host("h2", "t10:kill")
        ids = ["k-%d" % i for i in range(self.JOBS // 2)]
        self.push_through_both(h1, h2, ids, json.dumps({"sleep": 0.01}).encode())
        wait_for(lambda: len(h1.acked()) > 50, timeout=60, what="h1 working")
        kill_group(h1)
        killed_at = time.monotonic()
        started_on_h1 = {ctx(r)["id"] for r in h1.records()}
        wait_for(lambda: set(h1.acked()) | set(h2.acked()) >= set(ids), timeout=120,
                 what="every job acked by h1 before it died or by h2")
        runs = collections.Counter(h1.acked() + h2.acked())
        duplicates = {i for i, n in runs.items() if n > 1}
        report(case="two hosts, h1 killed", pushed=len(ids), h1_before_kill=len(h1.acked()),
               h2=len(h2.acked()), lost=len(set(ids) - set(runs)), duplicates=len(duplicates),
               recovered_in="%.1fs" % (time.monotonic() - killed_at))
        self.assertEqual(set(ids) - set(runs), set())
        self.assertLessEqual(duplicates, started_on_h1, "only jobs h1 had started run twice")
        wait_for(lambda: stream_state(self.redis, "t10:kill", "coyote:shared") == (0, 0, 0),
                 what="stream empty")


if __name__ == "__main__":
    unittest.main()
