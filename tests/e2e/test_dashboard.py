"""The dashboard's JSON API against the real binary and real Python workers: the page and its
embedded assets, overview numbers, pipeline actions, workers, dead letters (list, detail, replay
that really runs the job again), pushing, the SSE stream, CSRF and authentication."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

from harness import COYOTE_BIN, RECORDING_WORKER, Coyote, free_port, wait_for

FAIL = '{"type":1,"data":{"message":"bad input","requeue":false}}'

YAML = """
version: "3"
rpc:
  listen: @RPC@
server:
  command: "python3 @WORKER@"
logs:
  level: info
jobs:
  pool:
    num_workers: 2
    allocate_timeout: 20s
    destroy_timeout: 5s
  consume: ["p", "other", "retried"]
  results:
    ttl: 10m
  pipelines:
    p:
      driver: memory
      dead_letter: dlq
      retry:
        max_attempts: 1
    other:
      driver: memory
    retried:
      driver: memory
      retry:
        max_attempts: 3
dashboard:
  address: 127.0.0.1:%d
"""


class Dashboard:
    """A tiny client: GET/POST JSON with the session's CSRF token."""

    def __init__(self, port, token=None):
        self.base = "http://127.0.0.1:%d" % port
        self.token = token
        self.csrf = None

    def request(self, method, path, body=None, headers=None, csrf=True):
        data = None if body is None else json.dumps(body).encode()
        h = dict(headers or {})
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        if method == "POST" and csrf:
            if self.csrf is None:
                self.csrf = self.get("/api/session")["csrf"]
            h.setdefault("X-Coyote-CSRF", self.csrf)
        if self.token:
            h.setdefault("Authorization", "Bearer " + self.token)
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, dict(res.headers), res.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def get(self, path):
        status, _, body = self.request("GET", path)
        assert status == 200, (path, status, body)
        return json.loads(body)

    def post(self, path, body, expect=200):
        status, _, raw = self.request("POST", path, body)
        assert status == expect, (path, status, raw)
        return json.loads(raw)


class DashboardApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.host = Coyote(YAML % cls.port).start()
        cls.api = Dashboard(cls.port)
        wait_for(lambda: cls._up(), timeout=20, what="dashboard at %d\n%s" % (cls.port, cls.host.log()))
        wait_for(lambda: sum(len(p["workers"]) for p in cls.api.get("/api/workers")["pools"]) == 2,
                 timeout=30, what="two workers")

    @classmethod
    def _up(cls):
        try:
            return cls.api.request("GET", "/api/session")[0] == 200
        except OSError:
            return False

    @classmethod
    def tearDownClass(cls):
        cls.host.__exit__(None, None, None)

    def pipeline(self, name):
        return next(p for p in self.api.get("/api/pipelines")["pipelines"] if p["name"] == name)

    def test_page_and_embedded_assets_are_served_with_a_strict_policy(self):
        status, headers, body = self.api.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertIn("text/html", headers["Content-Type"])
        self.assertIn("script-src 'self'", headers["Content-Security-Policy"])
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        html = body.decode()
        assets = [part.split('"')[0] for part in html.split('="/assets/')[1:]]
        self.assertGreaterEqual(len(assets), 2, html)
        for asset in assets:
            status, headers, _ = self.api.request("GET", "/assets/" + asset)
            self.assertEqual(status, 200, asset)
        self.assertEqual(self.api.request("GET", "/nope.html")[0], 404)

    def test_overview_counts_pushed_and_processed_jobs(self):
        before = self.api.get("/api/overview")
        for i in range(5):
            self.api.post("/api/push", {"pipeline": "other", "job": "Count", "payload": "x%d" % i})
        wait_for(lambda: self.api.get("/api/overview")["totals"]["processed"]
                 >= before["totals"]["processed"] + 5, what="5 more processed")
        o = self.api.get("/api/overview")
        self.assertGreaterEqual(o["totals"]["pushed"], before["totals"]["pushed"] + 5)
        self.assertEqual(o["workers"]["total"], 2)
        self.assertTrue(o["version"])
        self.assertIsInstance(o["history"], list)
        wait_for(lambda: len(self.api.get("/api/overview")["history"]) >= 2, timeout=5,
                 what="rate history points")

    def test_pause_and_resume_a_pipeline(self):
        self.api.post("/api/pipelines/pause", {"pipelines": ["other"]})
        self.assertEqual(self.pipeline("other")["state"], "paused")
        self.api.post("/api/pipelines/resume", {"pipelines": ["other"]})
        self.assertEqual(self.pipeline("other")["state"], "active")
        err = self.api.post("/api/pipelines/pause", {"pipelines": ["ghost"]}, expect=400)
        self.assertIn("ghost", err["error"])

    def test_declare_and_destroy_a_pipeline(self):
        self.api.post("/api/pipelines/declare", {"options": {"driver": "memory", "name": "dyn", "priority": "3"}})
        self.assertEqual(self.pipeline("dyn")["priority"], 3)
        self.api.post("/api/pipelines/destroy", {"pipelines": ["dyn"]})
        self.assertNotIn("dyn", [p["name"] for p in self.api.get("/api/pipelines")["pipelines"]])

    def test_state_changes_need_the_csrf_token_and_the_same_origin(self):
        status, _, body = self.api.request("POST", "/api/pipelines/pause", {"pipelines": ["other"]}, csrf=False)
        self.assertEqual(status, 403, body)
        status, _, _ = self.api.request("POST", "/api/pipelines/pause", {"pipelines": ["other"]},
                                        headers={"Origin": "http://evil.example"})
        self.assertEqual(status, 403)
        status, _, _ = self.api.request("GET", "/api/pipelines/pause")
        self.assertEqual(status, 405)
        self.assertEqual(self.pipeline("other")["state"], "active")

    def test_a_dead_job_is_listed_shown_and_replayed_until_it_runs(self):
        marker = os.path.join(self.host.dir, "once-dead1")
        payload = json.dumps({"reply": FAIL, "once_marker": marker, "note": "<script>x</script>"})
        self.api.post("/api/push", {"pipeline": "p", "job": "Doomed", "id": "dead1", "payload": payload,
                                    "headers": {"X-Note": ["<script>h</script>"]}})
        wait_for(lambda: self.api.get("/api/dead?q=dead1")["total"] == 1, what="dead1 in the store")
        row = self.api.get("/api/dead?q=dead1")["jobs"][0]
        self.assertEqual((row["store"], row["origin"], row["job"]), ("dlq", "p", "Doomed"))
        self.assertIn("bad input", row["error"])
        detail = self.api.get("/api/dead/job?store=dlq&id=dead1")
        self.assertEqual(detail["payload"]["encoding"], "text")
        self.assertEqual(detail["payload"]["data"], payload)
        self.assertEqual(detail["headers"]["X-Note"], ["<script>h</script>"])
        result = self.api.post("/api/dead/replay", {"store": "dlq", "ids": ["dead1"]})
        self.assertEqual(result["done"], ["dead1"])
        # The worker acks the second delivery (the marker exists): two deliveries recorded.
        wait_for(lambda: len([r for r in self.host.records() if json.loads(r["context"]).get("id") == "dead1"]) == 2,
                 what="the replayed job delivered again")
        wait_for(lambda: self.api.get("/api/dead?q=dead1")["total"] == 0, what="dead1 gone")

    def test_delete_all_empties_the_store(self):
        for i in range(3):
            self.api.post("/api/push", {"pipeline": "p", "job": "Doomed", "id": "del%d" % i,
                                        "payload": json.dumps({"reply": FAIL})})
        wait_for(lambda: self.api.get("/api/dead?q=del")["total"] == 3, what="3 dead")
        page = self.api.get("/api/dead?q=del&limit=2")
        self.assertEqual((len(page["jobs"]), page["total"]), (2, 3))
        self.api.post("/api/dead/delete", {"store": "dlq", "all": True})
        self.assertEqual(self.api.get("/api/dead?store=dlq")["total"], 0)

    def test_workers_show_pid_rss_and_can_be_added_and_removed(self):
        pool = self.api.get("/api/workers")["pools"][0]
        self.assertEqual(len(pool["workers"]), 2)
        for w in pool["workers"]:
            self.assertGreater(w["pid"], 0)
            self.assertGreater(w["rss"], 0)
        self.assertEqual(self.api.post("/api/workers/add", {"pool": ""})["target"], 3)
        wait_for(lambda: len(self.api.get("/api/workers")["pools"][0]["workers"]) == 3, what="3 workers")
        self.assertEqual(self.api.post("/api/workers/remove", {"pool": ""})["target"], 2)
        wait_for(lambda: len(self.api.get("/api/workers")["pools"][0]["workers"]) == 2, what="2 workers")

    def running(self, job_id):
        for w in self.api.get("/api/workers")["pools"][0]["workers"]:
            if w["job"] and w["job"]["id"] == job_id:
                return w
        return None

    def test_workers_stop_kill_mid_job_redelivers_the_job_and_replaces_the_worker(self):
        # First delivery: creates the marker and sleeps (a stuck job); the redelivery acks.
        marker = os.path.join(self.host.dir, "once-stuck1")
        self.api.post("/api/push", {"pipeline": "retried", "job": "Stuck", "id": "stuck1",
                                    "payload": json.dumps({"once_marker": marker, "sleep": 60})})
        wait_for(lambda: self.running("stuck1"), what="stuck1 on a worker")
        # Killed before the worker read the job, the redelivery would be the one that sleeps.
        wait_for(lambda: os.path.exists(marker), what="the worker started stuck1")
        w = self.running("stuck1")
        self.assertEqual((w["job"]["job"], w["job"]["pipeline"]), ("Stuck", "retried"))
        self.assertGreaterEqual(w["job"]["running_ms"], 0)
        done = self.api.post("/api/workers/stop", {"pid": w["pid"], "kill": True})
        self.assertEqual((done["pid"], done["killed"]), (w["pid"], True))
        # Never lost: the kill is a failed attempt, retried on another worker, which acks it.
        wait_for(lambda: self.api.get("/api/result?id=stuck1")["state"] == "succeeded", timeout=30,
                 what="stuck1 redelivered and acked\n" + self.host.log()[-2000:])
        self.assertEqual(self.api.get("/api/result?id=stuck1")["attempts"], 2)
        deliveries = [r for r in self.host.records() if json.loads(r["context"]).get("id") == "stuck1"]
        self.assertEqual(len(deliveries), 2)
        wait_for(lambda: (lambda ws: len(ws) == 2 and w["pid"] not in [x["pid"] for x in ws]
                          and all(x["state"] == "ready" for x in ws))(
                     self.api.get("/api/workers")["pools"][0]["workers"]),
                 timeout=30, what="the pool back to 2 workers without the killed pid")
        err = self.api.post("/api/workers/stop", {"pid": w["pid"]}, expect=404)
        self.assertIn(str(w["pid"]), err["error"])

    def test_the_event_stream_sends_overview_events(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(b"GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
            data = b""
            while data.count(b"event: overview") < 2:
                chunk = s.recv(65536)
                self.assertTrue(chunk, data)
                data += chunk
        self.assertIn(b"text/event-stream", data)
        line = next(l for l in data.split(b"\n") if l.startswith(b"data: {"))
        self.assertIn("totals", json.loads(line[6:]))


class DashboardSecurityTest(unittest.TestCase):
    def test_a_remote_address_without_a_token_refuses_to_start(self):
        d = tempfile.mkdtemp(prefix="coyote-dash-")
        try:
            cfg = os.path.join(d, ".rr.yaml")
            with open(cfg, "w") as f:
                f.write('version: "3"\nrpc:\n  listen: tcp://127.0.0.1:%d\nserver:\n  command: "python3 %s"\n'
                        'dashboard:\n  address: 0.0.0.0:%d\n' % (free_port(), RECORDING_WORKER, free_port()))
            env = {k: v for k, v in os.environ.items() if k != "COYOTE_DASHBOARD_TOKEN"}
            proc = subprocess.run([COYOTE_BIN, "serve", "-c", cfg], cwd=d, env=env, capture_output=True, timeout=30)
            self.assertEqual(proc.returncode, 1)
            self.assertIn(b"dashboard.token", proc.stderr)
            self.assertIn(b"COYOTE_DASHBOARD_TOKEN", proc.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_with_a_token_every_request_needs_it(self):
        port = free_port()
        yaml = ('version: "3"\nrpc:\n  listen: @RPC@\nserver:\n  command: "python3 @WORKER@"\n'
                'dashboard:\n  address: 127.0.0.1:%d\n' % port)
        with Coyote(yaml, extra_env={"COYOTE_DASHBOARD_TOKEN": "t0ken"}):
            anon = Dashboard(port)
            wait_for(lambda: self._answers(anon), what="dashboard up")
            status, headers, _ = anon.request("GET", "/")
            self.assertEqual(status, 401)
            self.assertIn("Basic", headers["WWW-Authenticate"])
            self.assertEqual(anon.request("GET", "/api/overview")[0], 401)
            authed = Dashboard(port, token="t0ken")
            self.assertTrue(authed.get("/api/session")["auth"])
            self.assertEqual(authed.request("GET", "/")[0], 200)

    @staticmethod
    def _answers(client):
        try:
            client.request("GET", "/api/session")
            return True
        except OSError:
            return False


if __name__ == "__main__":
    unittest.main()
