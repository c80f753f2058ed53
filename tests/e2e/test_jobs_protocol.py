"""Spec 8, cases 4-11: the jobs worker protocol end to end (real binary, real worker processes)."""
import json
import time
import unittest

from harness import BASIC_YAML, Coyote, wait_for


# Failures the worker did not decide are retried (docs/architecture.md, Delivery): a short
# policy with a dead-letter store makes their outcome checkable here.
PROTOCOL_YAML = BASIC_YAML.format(workers=1) + """      retry:
        max_attempts: 2
        backoff: constant
        initial: 0s
        jitter: 0
      dead_letter: dlq
"""


def ctx(record):
    """The job's context without the trace context Coyote adds to a job pushed without one
    (test_observability checks that header)."""
    context = json.loads(record["context"])
    context["headers"].pop("Traceparent", None)
    return context


class JobsProtocolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.coyote = Coyote(PROTOCOL_YAML).start()
        cls.client = cls.coyote.rpc()

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.coyote.stop()
        cls.coyote.log_file.close()

    def records_for(self, job_id, count=1, timeout=20.0):
        return wait_for(lambda: (r := [x for x in self.coyote.records() if ctx(x)["id"] == job_id])
                        and len(r) >= count and r, timeout=timeout,
                        what="%d deliveries of %s\n%s" % (count, job_id, self.coyote.log()[-2000:]))

    def wait_idle(self):
        wait_for(lambda: self.client.stat()["p"].get("active", 0) == 0, what="active == 0")

    def test_case4_job_frame_context_and_body(self):
        self.client.push("p", "t", "case4", b"hi")
        rec = self.records_for("case4")[0]
        self.assertEqual(rec["body"], "hi")
        # Keys and their order are part of the contract (spec 3.2).
        self.assertEqual(list(ctx(rec).keys()), ["id", "job", "driver", "headers", "pipeline"])
        self.assertEqual(ctx(rec), {"id": "case4", "job": "t", "driver": "memory", "headers": {},
                                    "pipeline": "p"})

    def test_case5_ack_removes_the_job_and_active_returns_to_zero(self):
        self.client.push("p", "t", "case5", json.dumps({"reply": '{"type":2,"data":[]}'}).encode())
        self.records_for("case5")
        self.wait_idle()
        time.sleep(0.3)
        self.assertEqual(len(self.records_for("case5")), 1)

    def test_case6_legacy_complete_is_an_ack(self):
        self.client.push("p", "t", "case6", json.dumps({"reply": '{"type":0,"data":[]}'}).encode())
        self.records_for("case6")
        self.wait_idle()
        time.sleep(0.3)
        self.assertEqual(len(self.records_for("case6")), 1)

    def test_case7_requeue_with_delay_and_headers(self):
        reply = '{"type":4,"data":{"message":"x","delay_seconds":2,"headers":{"attempt":["1"]}}}'
        marker_reply = json.dumps({"reply": reply, "once_marker": self.coyote.dir + "/case7"})
        self.client.push("p", "t", "case7", marker_reply.encode())
        first = self.records_for("case7")[0]
        wait_for(lambda: self.client.stat()["p"].get("delayed", 0) > 0, timeout=5,
                 what="Stat.delayed > 0 during the requeue delay")
        second = self.records_for("case7", count=2, timeout=10)[1]
        self.assertGreaterEqual(second["time"] - first["time"], 1.9)
        self.assertEqual(ctx(second)["headers"].get("attempt"), ["1"])
        self.assertEqual(ctx(second)["id"], "case7")

    def test_case8_nack_without_and_with_redelivery(self):
        no = '{"type":3,"data":{"message":"m","requeue":false,"delay_seconds":0}}'
        self.client.push("p", "t", "case8-no", json.dumps({"reply": no}).encode())
        self.records_for("case8-no")
        self.wait_idle()
        time.sleep(0.3)
        self.assertEqual(len(self.records_for("case8-no")), 1)

        yes = '{"type":3,"data":{"message":"m","requeue":true,"delay_seconds":0}}'
        script = {"reply": yes, "once_marker": self.coyote.dir + "/case8"}
        self.client.push("p", "t", "case8-yes", json.dumps(script).encode(),
                         headers={"h": ["1"]})
        recs = self.records_for("case8-yes", count=2)
        self.assertEqual(ctx(recs[1])["headers"], {"h": ["1"]})

    def test_case9_fail_without_requeue_is_not_redelivered(self):
        fail = '{"type":1,"data":{"message":"m","requeue":false,"delay_seconds":0}}'
        self.client.push("p", "t", "case9", json.dumps({"reply": fail}).encode())
        self.records_for("case9")
        self.wait_idle()
        time.sleep(0.3)
        self.assertEqual(len(self.records_for("case9")), 1)

    def dead(self, job_id):
        return [d for d in self.client.call("coyote.DeadList", {}).get("jobs") or []
                if d["id"] == job_id]

    def test_case10_malformed_reply_is_retried_then_dead_lettered_and_worker_stays(self):
        self.client.push("p", "t", "case10-bad", json.dumps({"reply": "not json"}).encode())
        bad = self.records_for("case10-bad", count=2)
        self.assertEqual(ctx(bad[1])["headers"].get("X-Coyote-Attempt"), ["2"])
        self.client.push("p", "t", "case10-99", json.dumps({"reply": '{"type":99}'}).encode())
        unknown = self.records_for("case10-99")[0]
        self.assertEqual(bad[0]["pid"], unknown["pid"], "the worker must stay ready")
        self.wait_idle()
        dead = wait_for(lambda: self.dead("case10-bad"), what="case10-bad dead-lettered")
        self.assertEqual(dead[0]["attempts"], 2)
        self.assertIn("malformed", dead[0]["error"])
        time.sleep(0.3)
        self.assertEqual(len(self.records_for("case10-bad")), 2)
        self.assertEqual(len(self.records_for("case10-99")), 1)  # unknown type: acked (RR)

    def test_case11_soft_error_keeps_the_worker_and_is_retried(self):
        self.client.push("p", "t", "case11", json.dumps({"soft_error": "boom"}).encode())
        soft = self.records_for("case11", count=2)
        self.client.push("p", "t", "case11-next", b"plain")
        nxt = self.records_for("case11-next")[0]
        self.assertEqual(soft[0]["pid"], nxt["pid"], "same worker process after a soft error")
        wait_for(lambda: "boom" in self.coyote.log(), what="soft error text in the log")
        dead = wait_for(lambda: self.dead("case11"), what="case11 dead-lettered")
        self.assertIn("boom", dead[0]["error"])


if __name__ == "__main__":
    unittest.main()
