"""The amqp driver end to end: a real rabbitmq-server (one for this file, started by the test),
the real coyote binary, Python and PHP workers, and coyote-amqp-peer standing in for RoadRunner
instances and foreign producers. Fault figures (pushed / acked / redelivered / lost) go to stderr.
"""
import json
import os
import subprocess
import sys
import threading
import time
import unittest

import rabbitmq
from amqp_e2e import (contexts, informer, peer, queue_count, rr_yaml, tag, wait_connected,
                      wait_error)
from harness import SOURCE_DIR, Coyote, RpcClient, wait_for
from goridge_rpc import RpcError

BROKER = None
PHP_WORKER = "php " + os.path.join(SOURCE_DIR, "examples", "workers", "worker.php")
PHP_DECLARE = os.path.join(SOURCE_DIR, "tests", "e2e", "php", "amqp_create_info.php")


def setUpModule():
    global BROKER
    ok, why = rabbitmq.available()
    if not ok:
        raise unittest.SkipTest(why)
    BROKER = rabbitmq.RabbitMQ(tls=True).start()


def witnessed(queue):
    """The rr_id of every message in `queue` (drained)."""
    r = peer("get", "--url", BROKER.url(), "--queue", queue, "--count",
             queue_count(BROKER.url(), queue), "--timeout", 60, check=False, timeout=120)
    ids = set()
    for line in r.stdout.splitlines():
        if line.strip():
            # The peer prints each header as "<AMQP field kind>:<value>".
            ids.add(json.loads(line)["headers"].get("rr_id", "").split(":", 1)[-1])
    return ids


def tearDownModule():
    if BROKER is not None:
        BROKER.stop()


def amqp_section(**extra):
    return dict({"addr": BROKER.url(), "reconnect_initial": "100ms", "reconnect_max": "1s"},
                **extra)


def report(**figures):
    sys.stderr.write("amqp: " + ", ".join("%s=%s" % kv for kv in figures.items()) + "\n")


def reply(body, once=None):
    script = {"reply": json.dumps(body)}
    if once:
        script["once_marker"] = once
    return json.dumps(script).encode()


class Node(Coyote):
    """A Coyote whose workers also log acked ids."""

    def __init__(self, yaml_text, quiet=False, **kw):
        super().__init__(yaml_text, extra_env={"COYOTE_E2E_QUIET": "1"} if quiet else None, **kw)
        self.acks_path = os.path.join(self.dir, "acks.txt")
        self.env["COYOTE_E2E_ACKS"] = self.acks_path

    def acked(self):
        try:
            with open(self.acks_path) as f:
                return [line.strip() for line in f if line.strip()]
        except OSError:
            return []

    def deliveries(self, job_id):
        return [c for c in contexts(self) if c["id"] == job_id]


class ConfigurationTest(unittest.TestCase):
    def test_every_pipeline_key_from_rr_yaml_reaches_the_broker(self):
        t = tag()
        queue, exchange = "full_" + t, "ex_full_" + t
        pipeline = {"driver": "amqp", "config": {
            "priority": 4, "prefetch": 3, "queue": queue, "exchange": exchange,
            "exchange_type": "topics", "routing_key": "jobs.full", "exclusive": False,
            "durable": True, "exchange_durable": True, "exchange_auto_delete": False,
            "queue_auto_delete": False, "delete_queue_on_stop": True, "multiple_ack": True,
            "requeue_on_fail": True, "redial_timeout": 5, "consumer_id": "coyote-e2e-" + t,
            "queue_headers": {"x-max-length": 1000, "x-queue-mode": "lazy"}}}
        url = BROKER.url()
        with Node(rr_yaml(amqp_section(), {"full": pipeline}, consume=["full"])) as node:
            wait_connected(node, "full")
            with node.rpc() as c:
                wait_for(lambda: c.stat()["full"].get("ready"), what="full consuming")
                for i in range(10):
                    c.push("full", "App\\Job", "full-%d" % i, b"{}")
                wait_for(lambda: len(set(node.acked())) == 10, what="10 acks\n" + node.log()[-2000:])
                stat = c.stat()["full"]
            # The broker has what the keys asked for: a redeclaration with the same properties
            # is accepted, one with other properties is refused (406 PRECONDITION_FAILED).
            peer("declare-exchange", "--url", url, "--exchange", exchange, "--type", "topic",
                 "--durable")
            r = peer("declare-exchange", "--url", url, "--exchange", exchange, "--type", "direct",
                     "--durable", check=False)
            self.assertIn("406", r.stderr)
            peer("declare", "--url", url, "--queue", queue, "--durable",
                 "--args", json.dumps({"x-max-length": 1000, "x-queue-mode": "lazy"}))
            r = peer("declare", "--url", url, "--queue", queue, "--durable", check=False)
            self.assertIn("inequivalent arg", r.stderr)
            self.assertEqual(peer("count", "--url", url, "--queue", queue)[0]["consumers"], 1)
            self.assertIn("consumer coyote-e2e-" + t, node.log())
            self.assertIn("prefetch 3", node.log())
            self.assertEqual(stat["driver"], "amqp")
            self.assertEqual(stat["queue"], queue)
            self.assertEqual(stat["priority"], 4)
            ctx = node.deliveries("full-0")[0]
            self.assertEqual(list(ctx), ["id", "job", "driver", "queue", "headers", "pipeline"])
            self.assertEqual((ctx["driver"], ctx["queue"], ctx["pipeline"]), ("amqp", queue, "full"))
        # delete_queue_on_stop: gone once the host stopped.
        r = peer("count", "--url", url, "--queue", queue, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("404", r.stderr)

    def test_a_php_declared_pipeline_accepts_topics_and_an_empty_queue_headers_array(self):
        t = tag()
        with Node(rr_yaml(amqp_section(), {}, workers=1, command=PHP_WORKER)) as node:
            r = subprocess.run(["php", PHP_DECLARE, node.address, "php_" + t, "php_q_" + t,
                                "php.key", "topics", "ex_php_" + t],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr + node.log()[-2000:])
            sent = json.loads(r.stdout)
            self.assertEqual((sent["exchange_type"], sent["queue_headers"], sent["consume_all"]),
                             ("topics", "[]", "false"))
            with node.rpc() as c:
                self.assertFalse(c.stat()["php_" + t].get("ready", False))  # Declare does not consume
                c.resume("php_" + t)
                for i in range(3):
                    c.push("php_" + t, "App\\Php", "php-%d" % i, b"{}")
                wait_for(lambda: node.log().count("from php_" + t) >= 3,
                         what="3 jobs run by the PHP worker\n" + node.log()[-2000:])
            peer("declare-exchange", "--url", BROKER.url(), "--exchange", "ex_php_" + t,
                 "--type", "topic")

    def test_a_declared_pipeline_with_bad_options_is_refused_with_the_reason(self):
        with Node(rr_yaml(amqp_section(), {}, workers=1)) as node, node.rpc() as c:
            with self.assertRaises(RpcError) as e:
                c.declare({"name": "bad", "driver": "amqp", "exchange_type": "round-robin"})
            self.assertIn("unknown exchange_type \"round-robin\"", str(e.exception))
            with self.assertRaises(RpcError) as e:
                c.declare({"name": "bad", "driver": "amqp", "queue_headers": "{oops"})
            self.assertIn("queue_headers must be a JSON object", str(e.exception))


class WireFormatTest(unittest.TestCase):
    def test_a_producer_only_pipeline_writes_what_roadrunner_reads(self):
        t = tag()
        exchange, bound = "ex_po_" + t, "po_" + t
        url = BROKER.url()
        pipelines = {"po": {"driver": "amqp", "config": {
            "exchange": exchange, "routing_key": "po", "priority": 6}}}
        with Node(rr_yaml(amqp_section(), pipelines)) as node, node.rpc() as c:
            wait_connected(node, "po")
            peer("declare", "--url", url, "--queue", bound, "--bind-exchange", exchange,
                 "--bind-key", "po")
            peer("declare", "--url", url, "--queue", bound + "_x", "--bind-exchange", exchange,
                 "--bind-key", "other")
            before = int(time.time())
            c.push("po", "App\\Job", "po-1", b"payload-1", headers={"k": ["v1", "v2"]})
            job = c.job("po", "App\\Job", "po-2", b"payload-2", headers={"x-routing-key": ["other"]})
            job["options"]["auto_ack"] = True
            c.call("jobs.Push", {"job": job})
            got = peer("get", "--url", url, "--queue", bound, "--count", 1)[0]
            h = got["headers"]
            self.assertEqual(h["rr_id"], "S:po-1")
            self.assertEqual(h["rr_job"], "S:App\\Job")
            self.assertEqual(h["rr_pipeline"], "S:po")
            self.assertEqual(json.loads(h["rr_headers"][2:]), {"k": ["v1", "v2"]})
            self.assertTrue(h["rr_headers"].startswith("x:"))   # a byte array, as Go writes []byte
            self.assertEqual(h["rr_delay"], "I:0")               # Go int: 32 bits
            self.assertEqual(h["rr_priority"], "l:6")            # int64: what RR's reader asserts
            self.assertEqual(h["rr_auto_ack"], "t:false")
            self.assertEqual(len(h), 7)
            self.assertEqual(got["body"], "payload-1")
            self.assertEqual(got["content_type"], "application/octet-stream")
            self.assertEqual(got["delivery_mode"], 2)
            self.assertGreaterEqual(got["timestamp"], before - 1)
            # The per-job routing key sent it elsewhere and was removed from its headers.
            other = peer("get", "--url", url, "--queue", bound + "_x", "--count", 1)[0]
            self.assertEqual(other["headers"]["rr_id"], "S:po-2")
            self.assertEqual(json.loads(other["headers"]["rr_headers"][2:]), {})
            self.assertEqual(other["headers"]["rr_auto_ack"], "t:true")
            # A producer-only pipeline cannot consume, in RoadRunner's words.
            with self.assertRaises(RpcError) as e:
                c.resume("po")
            self.assertIn("empty queue name", str(e.exception))
            with self.assertRaises(RpcError) as e:
                c.pause("po")
            self.assertIn("empty queue name", str(e.exception))

    def test_an_unroutable_push_is_an_error_not_a_silent_drop(self):
        t = tag()
        pipelines = {"lost": {"driver": "amqp", "config": {"exchange": "ex_lost_" + t,
                                                          "routing_key": "nobody"}}}
        with Node(rr_yaml(amqp_section(), pipelines)) as node, node.rpc() as c:
            wait_connected(node, "lost")
            with self.assertRaises(RpcError) as e:
                c.push("lost", "App\\Job", "lost-1", b"x")
            self.assertIn("could not route", str(e.exception))
            self.assertIn("NO_ROUTE", str(e.exception))
            with self.assertRaises(RpcError) as e:
                c.push_batch([c.job("lost", "App\\Job", "lost-b%d" % i, b"x") for i in range(3)])
            self.assertIn("could not route", str(e.exception))

    def test_roadrunner_and_foreign_messages_are_consumed_as_roadrunner_reads_them(self):
        t = tag()
        queue = "mixed_" + t
        url = BROKER.url()
        pipelines = {"mixed": {"driver": "amqp", "config": {"queue": queue, "routing_key": queue}}}
        with Node(rr_yaml(amqp_section(), pipelines, consume=["mixed"], workers=1)) as node:
            wait_connected(node, "mixed")
            with node.rpc() as c:
                wait_for(lambda: c.stat()["mixed"].get("ready"), what="consuming")
            common = ["--url", url, "--routing-key", queue, "--count", 2]
            peer("publish", *common, "--format", "rr", "--id-prefix", "rr-{i}",
                 "--headers", json.dumps({"k": ["v"]}), "--priority", 3)
            peer("publish", *common, "--format", "narrow", "--id-prefix", "narrow-{i}")
            peer("publish", *common, "--format", "foreign", "--body", "foreign-{i}")
            records = node.wait_records(6)
            by_id = {}
            for r in records:
                context = json.loads(r["context"])
                context["headers"].pop("Traceparent", None)  # added by Coyote when a job has none
                by_id[context["id"]] = (context, r)
            ctx, rec = by_id["rr-0"]
            self.assertEqual(ctx["job"], "Peer\\Job")
            self.assertEqual(ctx["pipeline"], "peer")  # rr_pipeline, as RoadRunner reports it
            self.assertEqual(ctx["queue"], queue)
            self.assertEqual(ctx["headers"]["k"], ["v"])
            # RoadRunner's convHeaders: the AMQP headers themselves are job headers too.
            self.assertEqual(ctx["headers"]["rr_priority"], ["3"])
            self.assertEqual(rec["body"], "0")
            self.assertIn("narrow-1", by_id)  # 16/32-bit rr_delay/rr_priority read fine
            foreign = [c for c, _ in by_id.values() if c["job"] == "deduced_by_rr"]
            self.assertEqual(len(foreign), 2)
            self.assertEqual(foreign[0]["headers"], {"source": ["peer"]})
            self.assertEqual(len(foreign[0]["id"]), 36)
            self.assertIn("without rr_id", node.log())
            wait_for(lambda: len(node.acked()) == 6, what="6 acks")
            self.assertEqual(queue_count(url, queue), 0)
            self.assertNotIn("unknown priority type", node.log())


class SemanticsTest(unittest.TestCase):
    def test_every_worker_response_type(self):
        t = tag()
        queue = "resp_" + t
        marker = lambda name: os.path.join(node.dir, name)  # noqa: E731
        pipelines = {"resp": {"driver": "amqp", "dead_letter": "dlq",
                              "retry": {"max_attempts": 3, "backoff": "constant", "initial": "0s",
                                        "jitter": 0},
                              "config": {"queue": queue, "routing_key": queue, "prefetch": 20}}}
        with Node(rr_yaml(amqp_section(), pipelines, consume=["resp"], workers=2)) as node, \
                node.rpc() as c:
            wait_connected(node, "resp")
            jobs = {
                "ack": reply({"type": 2, "data": []}),
                "complete": reply({"type": 0, "data": []}),
                "unknown": reply({"type": 9, "data": []}),
                "fail": reply({"type": 1, "data": {"message": "no", "requeue": False,
                                                   "delay_seconds": 0}}),
                "fail-requeue": reply({"type": 1, "data": {"message": "again", "requeue": True,
                                                           "delay_seconds": 0,
                                                           "headers": {"x": ["1"]}}},
                                      once=marker("fail-requeue")),
                "nack": reply({"type": 3, "data": {"message": "no", "requeue": False,
                                                   "delay_seconds": 0}}),
                "nack-requeue": reply({"type": 3, "data": {"message": "again", "requeue": True,
                                                           "delay_seconds": 0}},
                                      once=marker("nack-requeue")),
                "nack-delay": reply({"type": 3, "data": {"message": "later", "requeue": True,
                                                         "delay_seconds": 1}},
                                    once=marker("nack-delay")),
                "requeue": reply({"type": 4, "data": {"message": "more", "delay_seconds": 0,
                                                      "headers": {"h": ["2"]}}},
                                 once=marker("requeue")),
                "malformed": json.dumps({"reply": "not json", "once_marker": marker("malformed")}).encode(),
                "crash": json.dumps({"crash_once_marker": marker("crash")}).encode(),
            }
            for job_id, body in jobs.items():
                c.push("resp", "App\\Job", job_id, body, headers={"orig": ["1"]})
            # Scripted replies are sent raw (not through ack()); the jobs run again under a once
            # marker are acked on their second delivery.
            acked_expected = {"fail-requeue", "nack-requeue", "nack-delay", "requeue", "malformed",
                              "crash"}
            answered = {"ack", "complete", "unknown"}
            try:
                wait_for(lambda: acked_expected <= set(node.acked()) and
                         answered <= {ctx["id"] for ctx in contexts(node)} and
                         len(c.call("coyote.DeadList", {}).get("jobs") or []) == 2, timeout=60,
                         what="every job settled")
            except AssertionError:
                raise AssertionError("acked %s, dead %s\n%s" % (
                    node.acked(), c.call("coyote.DeadList", {}), node.log()[-4000:]))
            dead = {d["id"]: d for d in c.call("coyote.DeadList", {})["jobs"]}
            self.assertEqual(set(dead), {"fail", "nack"})
            for once in ("fail-requeue", "nack-requeue", "nack-delay", "requeue", "malformed",
                         "crash"):
                self.assertEqual(len(node.deliveries(once)), 2, once)
            second = lambda job_id: node.deliveries(job_id)[1]["headers"]  # noqa: E731
            self.assertEqual(second("fail-requeue")["x"], ["1"])
            self.assertEqual(second("requeue")["h"], ["2"])
            self.assertEqual(second("requeue")["orig"], ["1"])
            # Explicit requeues are republished copies: they are not counted as attempts...
            for job_id in ("fail-requeue", "nack-requeue", "nack-delay", "requeue"):
                self.assertNotIn("X-Coyote-Attempt", second(job_id), job_id)
            # ...failures the worker did not decide are, through the host's retry policy.
            self.assertEqual(second("malformed")["X-Coyote-Attempt"], ["2"])
            self.assertEqual(second("crash")["X-Coyote-Attempt"], ["2"])
            for job_id in ("ack", "complete", "unknown"):
                self.assertEqual(len(node.deliveries(job_id)), 1)
            wait_for(lambda: queue_count(BROKER.url(), queue) == 0 and
                     c.stat()["resp"].get("reserved", 0) == 0, what="nothing left un-acked")
            self.assertEqual(queue_count(BROKER.url(), "delayed-1000.amqp.default." + queue), 0)

    def test_a_delayed_push_waits_in_roadrunners_delay_queue(self):
        t = tag()
        queue = "delay_" + t
        pipelines = {"d": {"driver": "amqp", "config": {"queue": queue, "routing_key": queue}}}
        with Node(rr_yaml(amqp_section(), pipelines, consume=["d"], workers=1)) as node, \
                node.rpc() as c:
            wait_connected(node, "d")
            c.push("d", "App\\Job", "later", b"{}", delay=3)
            # Held by the broker, in the queue RoadRunner would use for a 3 s delay.
            self.assertEqual(queue_count(BROKER.url(), "delayed-3000.amqp.default." + queue), 1)
            self.assertEqual(c.stat()["d"]["delayed"], 1)
            c.push("d", "App\\Job", "now", b"{}")
            wait_for(lambda: {"now", "later"} <= set(node.acked()), timeout=30,
                     what="both jobs\n" + node.log()[-2000:])
            self.assertEqual(node.acked()[:2], ["now", "later"])
            wait_for(lambda: c.stat()["d"].get("delayed", 0) == 0, what="delayed back to 0")

    def test_push_batch_publishes_every_job_and_waits_for_every_confirm(self):
        t = tag()
        queue = "batch_" + t
        pipelines = {"b": {"driver": "amqp", "config": {"queue": queue, "routing_key": queue,
                                                        "durable": True}}}
        with Node(rr_yaml(amqp_section(), pipelines), quiet=True) as node, node.rpc() as c:
            wait_connected(node, "b")
            c.push_batch([c.job("b", "App\\Job", "b-%d" % i, b"x" * 100) for i in range(500)])
            # Confirmed means held by the broker, before anyone consumes.
            self.assertEqual(queue_count(BROKER.url(), queue), 500)

    def test_prefetch_bounds_the_jobs_a_host_holds(self):
        t = tag()
        queue = "prefetch_" + t
        pipelines = {"p": {"driver": "amqp", "config": {"queue": queue, "routing_key": queue,
                                                        "prefetch": 3}}}
        with Node(rr_yaml(amqp_section(), pipelines, workers=2)) as node, node.rpc() as c:
            wait_connected(node, "p")
            c.push_batch([c.job("p", "App\\Job", "p-%d" % i, json.dumps({"sleep": 0.05}).encode())
                          for i in range(30)])
            c.resume("p")
            seen = []
            while len(set(node.acked())) < 30:
                seen.append(c.stat()["p"].get("reserved", 0))
                time.sleep(0.02)
            self.assertLessEqual(max(seen), 3)
            self.assertGreater(max(seen), 0)

    def test_a_resume_while_jobs_are_still_held_keeps_the_prefetch_bound(self):
        # The limit is per consumer: a consumer started while the paused one's deliveries are
        # still un-acked must get only the rest of the window.
        t = tag()
        queue = "prefetch_resume_" + t
        pipelines = {"p": {"driver": "amqp", "config": {"queue": queue, "routing_key": queue,
                                                        "prefetch": 3}}}
        with Node(rr_yaml(amqp_section(), pipelines, workers=2)) as node, node.rpc() as c:
            wait_connected(node, "p")
            c.push_batch([c.job("p", "App\\Job", "r-%d" % i, json.dumps({"sleep": 0.3}).encode())
                          for i in range(12)])
            c.resume("p")
            wait_for(lambda: c.stat()["p"].get("reserved", 0) == 3, what="a full window held")
            c.pause("p")
            c.resume("p")  # at once: the three deliveries are still running or queued
            seen = []
            while len(set(node.acked())) < 12:
                seen.append(c.stat()["p"].get("reserved", 0))
                time.sleep(0.02)
            self.assertLessEqual(max(seen), 3, "more than prefetch held after a resume")
            self.assertEqual(sorted(set(node.acked())), sorted("r-%d" % i for i in range(12)))

    def test_pause_leaves_jobs_in_the_broker_and_resume_consumes_them(self):
        t = tag()
        queue = "pause_" + t
        pipelines = {"p": {"driver": "amqp", "config": {"queue": queue, "routing_key": queue}}}
        with Node(rr_yaml(amqp_section(), pipelines, consume=["p"], workers=1)) as node, \
                node.rpc() as c:
            wait_connected(node, "p")
            wait_for(lambda: queue_count(BROKER.url(), queue) == 0 and
                     peer("count", "--url", BROKER.url(), "--queue", queue)[0]["consumers"] == 1,
                     what="consumer registered")
            c.pause("p")
            self.assertFalse(c.stat()["p"].get("ready", False))
            for i in range(5):
                c.push("p", "App\\Job", "p-%d" % i, b"{}")
            wait_for(lambda: c.stat()["p"].get("active", 0) == 5, what="5 ready in the broker")
            self.assertEqual(node.acked(), [])
            c.resume("p")
            wait_for(lambda: len(node.acked()) == 5, what="5 acks after resume")


class GracefulStopTest(unittest.TestCase):
    def test_a_graceful_stop_gives_every_queued_job_back_to_the_broker(self):
        t = tag()
        queue = "drain_" + t
        pipelines = {"g": {"driver": "amqp", "config": {"queue": queue, "routing_key": queue,
                                                        "durable": True, "prefetch": 10}}}
        yaml_text = rr_yaml(amqp_section(), pipelines, consume=["g"], workers=1)
        ids = ["g-%d" % i for i in range(30)]
        first = Node(yaml_text).start()
        try:
            wait_connected(first, "g")
            with first.rpc() as c:
                c.push_batch([c.job("g", "App\\Job", i, json.dumps({"sleep": 0.1}).encode())
                              for i in ids])
            wait_for(lambda: len(first.acked()) >= 2, what="the first jobs running")
        finally:
            first.stop()  # SIGTERM: drain, then stop
            first.__exit__()
        done_first = set(first.acked())
        self.assertRegex(first.log(), r"shutdown: \d+ job\(s\) finished, [1-9]\d* queued")
        # Everything not finished is back in the broker: exactly once, nothing lost.
        self.assertEqual(queue_count(BROKER.url(), queue), len(ids) - len(done_first))
        with Node(yaml_text) as second:
            wait_for(lambda: set(ids) <= done_first | set(second.acked()), timeout=60,
                     what="the rest processed by the next host")
            self.assertEqual(len(done_first) + len(second.acked()), len(ids))


class TlsTest(unittest.TestCase):
    def tls_section(self, **tls):
        certs = BROKER.certs
        return amqp_section(addr=BROKER.tls_url(), tls=dict(
            {"root_ca": certs["ca"], "cert": certs["client_cert"], "key": certs["client_key"],
             "client_auth_type": "require_and_verify_client_cert"}, **tls))

    def test_a_tls_connection_with_a_client_certificate_carries_jobs(self):
        t = tag()
        pipelines = {"s": {"driver": "amqp", "config": {"queue": "tls_" + t, "routing_key": "tls"}}}
        with Node(rr_yaml(self.tls_section(), pipelines, consume=["s"], workers=1)) as node:
            wait_connected(node, "s")
            with node.rpc() as c:
                c.push("s", "App\\Job", "secure", b"{}")
            wait_for(lambda: "secure" in node.acked(), what="a job over TLS\n" + node.log()[-2000:])
            self.assertIn("connected to amqps://guest:***@", node.log())

    def test_a_broker_certificate_from_another_ca_is_refused(self):
        pipelines = {"s": {"driver": "amqp", "config": {"queue": "tls_bad", "routing_key": "tls"}}}
        section = self.tls_section(root_ca=BROKER.certs["client_cert"])
        with Node(rr_yaml(section, pipelines, consume=["s"], workers=1)) as node:
            wait_error(node, "s", "cannot connect")
            self.assertIn("SSL", informer(node)["s"]["ErrorMessage"])

    def test_a_missing_key_file_stops_startup_with_rr_words(self):
        pipelines = {"s": {"driver": "amqp", "config": {"queue": "tls_none", "routing_key": "tls"}}}
        section = self.tls_section(key="/nonexistent/client.key")
        node = Node(rr_yaml(section, pipelines, workers=1))
        with self.assertRaises(AssertionError) as e:
            node.start()
        node.__exit__()
        self.assertIn("key file '/nonexistent/client.key' does not exists", str(e.exception))


class BadInputTest(unittest.TestCase):
    def host_stays_up(self, node):
        with node.rpc() as c:
            c.push("mem", "App\\Job", "alive", b"{}")
        wait_for(lambda: "alive" in node.acked(), what="the memory pipeline still works")

    def test_wrong_credentials_are_reported_and_the_host_stays_up(self):
        pipelines = {"a": {"driver": "amqp", "config": {"queue": "creds", "routing_key": "creds"}},
                     "mem": {"driver": "memory", "config": {"prefetch": 10}}}
        section = amqp_section(addr=BROKER.url(password="wrong"))
        with Node(rr_yaml(section, pipelines, consume=["a", "mem"], workers=1)) as node:
            wait_error(node, "a", "ACCESS_REFUSED")
            with node.rpc() as c, self.assertRaises(RpcError) as e:
                c.push("a", "App\\Job", "x", b"{}")
            self.assertIn("not connected to the broker", str(e.exception))
            self.assertIn("ACCESS_REFUSED", str(e.exception))
            self.assertIn("guest:***@", str(e.exception))  # never the password
            self.assertNotIn(":wrong@", node.log())
            self.host_stays_up(node)

    def test_an_unreachable_broker_is_retried_and_reported(self):
        port = rabbitmq.free_port()
        pipelines = {"a": {"driver": "amqp", "config": {"queue": "gone", "routing_key": "gone"}},
                     "mem": {"driver": "memory", "config": {"prefetch": 10}}}
        section = amqp_section(addr="amqp://guest:guest@127.0.0.1:%d/" % port)
        with Node(rr_yaml(section, pipelines, consume=["a", "mem"], workers=1)) as node:
            wait_error(node, "a", "cannot connect")
            wait_for(lambda: node.log().count("cannot connect") >= 3, what="retries in the log")
            with node.rpc() as c, self.assertRaises(RpcError) as e:
                c.push("a", "App\\Job", "x", b"{}")
            self.assertIn("retry it; Coyote reconnects by itself", str(e.exception))
            self.host_stays_up(node)

    def test_a_queue_declared_with_other_arguments_is_reported_until_fixed(self):
        t = tag()
        queue = "conflict_" + t
        url = BROKER.url()
        peer("declare", "--url", url, "--queue", queue, "--args", json.dumps({"x-max-length": 5}))
        pipelines = {"c": {"driver": "amqp", "config": {"queue": queue, "routing_key": queue}},
                     "mem": {"driver": "memory", "config": {"prefetch": 10}}}
        with Node(rr_yaml(amqp_section(), pipelines, consume=["c", "mem"], workers=1)) as node:
            wait_error(node, "c", "PRECONDITION_FAILED")
            error = informer(node)["c"]["ErrorMessage"]
            self.assertIn("inequivalent arg 'x-max-length'", error)
            self.assertIn("make durable/auto_delete/exclusive/queue_headers", error)
            # Not bound, so a push is refused rather than silently dropped.
            with node.rpc() as c, self.assertRaises(RpcError) as e:
                c.push("c", "App\\Job", "x", b"{}")
            self.assertIn("could not route", str(e.exception))
            self.host_stays_up(node)
            # The operator removes the odd queue: Coyote declares its own and consumes.
            peer("delete", "--url", url, "--queue", queue)
            wait_connected(node, "c")
            with node.rpc() as c:
                c.push("c", "App\\Job", "fixed", b"{}")
            wait_for(lambda: "fixed" in node.acked(), what="consumed after the fix")


class BrokerRestartTest(unittest.TestCase):
    # Runs by default again. Two earlier full-suite runs on a loaded machine lost a
    # consecutive block of confirmed pushes (55 and 88 of 1500). The 48 runs since (alone, in the
    # module, in the whole suite, under ASan, on a machine held at load 8-13 by parallel builds,
    # with RoadRunner's transient default exchange and with a durable one) lost none. The cause
    # was never found. If it comes back, the witness queue below says which side lost the jobs.
    def test_a_killed_and_restarted_broker_loses_no_acknowledged_push(self):
        t = tag()
        queue = "restart_" + t
        # A witness: a second durable queue bound like the consumed one on a durable exchange, so
        # it holds a copy of every message the broker accepted and kept through the kill. On a
        # loss it tells where the job went missing: not in the witness, the broker dropped it
        # after its confirm; in the witness, the host lost it.
        exchange, witness = "ex_restart_" + t, "witness_" + t
        url = BROKER.url()
        peer("declare-exchange", "--url", url, "--exchange", exchange, "--type", "direct",
             "--durable")
        peer("declare", "--url", url, "--queue", witness, "--durable", "--bind-exchange",
             exchange, "--bind-key", queue)
        pipelines = {"r": {"driver": "amqp", "config": {
            "queue": queue, "routing_key": queue, "durable": True, "prefetch": 20,
            "exchange": exchange, "exchange_type": "direct", "exchange_durable": True}}}
        section = amqp_section(heartbeat="2s")
        with Node(rr_yaml(section, pipelines, consume=["r"], workers=2), quiet=True) as node:
            wait_connected(node, "r")
            total, acked, failed = 1500, [], [0]
            done = threading.Event()

            def produce():
                # As an application would: a push that fails is retried until it is accepted.
                with RpcClient(node.address) as c:
                    for i in range(total):
                        job_id = "r-%d" % i
                        while True:
                            try:
                                c.push("r", "App\\Job", job_id,
                                       json.dumps({"sleep": 0.002}).encode())
                                acked.append(job_id)
                                break
                            except RpcError:
                                failed[0] += 1
                                time.sleep(0.05)
                done.set()

            producer = threading.Thread(target=produce)
            producer.start()
            try:
                wait_for(lambda: len(node.acked()) >= 300, timeout=60, what="300 processed")
                BROKER.kill()
                wait_for(lambda: failed[0] >= 5, timeout=30, what="pushes failing fast")
                BROKER.start()
                done.wait(timeout=180)
            finally:
                producer.join(timeout=200)
            self.assertTrue(done.is_set())
            try:
                wait_for(lambda: set(acked) <= set(node.acked()), timeout=120,
                         what="every acknowledged push processed")
            except AssertionError:
                missing = sorted(set(acked) - set(node.acked()))
                try:
                    # Ready and unacknowledged apart: unacknowledged ones are held by a consumer
                    # (a stalled host), ready ones wait for one.
                    in_broker = BROKER.ctl("list_queues", "name", "messages_ready",
                                           "messages_unacknowledged", "consumers")
                except Exception as e:  # noqa: BLE001 - the diagnosis must not hide the failure
                    in_broker = "unknown (%s)" % e
                kept = witnessed(witness)
                recovery = [line for line in BROKER.log(tail=200000).splitlines()
                            if "unclean" in line or "dropped" in line or "Recovering" in line]
                self.fail("%d of %d acknowledged pushes never processed (first: %s); the queue "
                          "says %s; of the missing, %d are in the witness queue (the "
                          "broker kept them: the host lost them) and %d are not (the broker "
                          "dropped them after confirming); broker recovery log: %s; jobs.Stat: "
                          "%s\n%s"
                          % (len(missing), len(acked), missing[:10], in_broker,
                             len(set(missing) & kept), len(set(missing) - kept), recovery[-6:],
                             informer(node), node.log()[-3000:]))
            # Every acknowledged push is also in the witness: the broker kept what it confirmed.
            kept = witnessed(witness)
            unkept = sorted(set(acked) - kept, key=lambda j: int(j.split("-")[1]))
            self.assertEqual(unkept, [], "%d acknowledged pushes are not in the witness queue "
                             "(%d messages in it): %s ... %s; broker recovery log: %s"
                             % (len(unkept), len(kept), unkept[:5], unkept[-5:], [
                                 line for line in BROKER.log(tail=200000).splitlines()
                                 if "unclean" in line or "dropped" in line
                                 or "Recovering" in line][-6:]))
            processed = node.acked()
            lost = set(acked) - set(processed)
            report(case="broker-restart", pushed=total, acked=len(acked), push_failed=failed[0],
                   processed=len(set(processed)), redelivered=len(processed) - len(set(processed)),
                   lost=len(lost))
            self.assertEqual(lost, set())
            log = node.log()
            self.assertIn("connection to amqp://guest:***@", log)
            self.assertIn("lost", log)
            self.assertIn("reconnected to", log)
            self.assertIn("consuming again", log)


if __name__ == "__main__":
    unittest.main()
