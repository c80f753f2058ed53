"""Metrics and status endpoints end to end: RoadRunner's rr_jobs_* counters move as spec 8
cases 5, 6, 8, 9, 10 say, Coyote's own metrics, /health /ready /jobs with RR's shapes, the
metrics.* and status.* RPC services through the PHP client, trace context, a live promtool check
and a real Prometheus server scraping Coyote."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from harness import RECORDING_WORKER, SOURCE_DIR, Coyote, free_port, wait_for

PHP_CLIENT = os.path.join(SOURCE_DIR, "tests", "e2e", "php", "rpc_client.php")
DASHBOARD = os.path.join(SOURCE_DIR, "docs", "grafana", "coyote-jobs.json")


def http_get(url, timeout=10):
    """(status, content type, body text) without raising on 4xx/5xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset(labels.items())): value} for every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        labels = {}
        if "{" in head:
            name, rest = head.split("{", 1)
            for k, v in LABEL_RE.findall(rest[:-1]):
                labels[k] = v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
        else:
            name = head
        out[(name, frozenset(labels.items()))] = float(value)
    return out


def php(address, *args):
    proc = subprocess.run(["php", PHP_CLIENT, "--address", address] + [str(a) for a in args],
                          capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    out = proc.stdout.decode().strip().splitlines()
    if not out:
        raise AssertionError("php client printed nothing; stderr: " + proc.stderr.decode())
    return json.loads(out[-1])


def reply(body):
    return json.dumps({"reply": body}).encode()


YAML = """
version: "3"
rpc:
  listen: @RPC@
server:
  command: "python3 @WORKER@"
logs:
  level: debug
metrics:
  address: 127.0.0.1:{metrics}
  max_series: 50
  collect:
    app_requests_total:
      type: counter
      help: "Requests the application handled"
      labels: ["route"]
    app_latency:
      type: histogram
      help: "Application latency"
      buckets: [0.1, 1]
status:
  address: 127.0.0.1:{status}
jobs:
  pool:
    num_workers: 2
    allocate_timeout: 10s
    destroy_timeout: 5s
  consume: ["p", "retried", "paused"]
  pipelines:
    p:
      driver: memory
      config:
        priority: 10
        prefetch: 100
      retry:
        max_attempts: 1
    retried:
      driver: memory
      config:
        prefetch: 100
      retry:
        max_attempts: 2
        backoff: constant
        initial: 0s
        jitter: 0
      dead_letter: dlq
    paused:
      driver: memory
    out:
      driver: memory
"""


class ObservabilityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.metrics_port, cls.status_port = free_port(), free_port()
        cls.coyote = Coyote(YAML.format(metrics=cls.metrics_port, status=cls.status_port)).start()
        cls.client = cls.coyote.rpc()
        cls.metrics_url = "http://127.0.0.1:%d/metrics" % cls.metrics_port
        cls.status_url = "http://127.0.0.1:%d" % cls.status_port
        cls.client.pause("paused")
        wait_for(lambda: http_get(cls.metrics_url)[0] == 200, what="metrics endpoint")

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.coyote.stop()
        cls.coyote.log_file.close()

    # --- helpers -------------------------------------------------------------------------------

    def scrape(self):
        status, ctype, body = http_get(self.metrics_url)
        self.assertEqual(status, 200, body)
        return parse_metrics(body)

    @staticmethod
    def value(samples, name, **labels):
        return samples.get((name, frozenset(labels.items())), 0.0)

    RR = ("rr_jobs_jobs_ok", "rr_jobs_jobs_err", "rr_jobs_jobs_requeue", "rr_jobs_push_ok",
          "rr_jobs_push_err")

    def counters(self, pipeline="p"):
        s = self.scrape()
        out = {n: self.value(s, n) for n in self.RR}
        for n in ("acks", "nacks", "requeues", "retries", "dead_lettered", "pushes"):
            out[n] = self.value(s, "coyote_pipeline_%s_total" % n, pipeline=pipeline, driver="memory")
        return out

    def deltas(self, before, after):
        return {k: after[k] - before[k] for k in before if after[k] != before[k]}

    def deliveries(self, job_id):
        return [r for r in self.coyote.records() if json.loads(r["context"])["id"] == job_id]

    def run_job(self, job_id, payload, pipeline="p", deliveries=1, settle=0.3):
        """Pushes one job, waits for its deliveries and for the host to settle; returns the
        counter deltas it caused."""
        before = self.counters(pipeline)
        self.client.push(pipeline, "t", job_id, payload)
        wait_for(lambda: len(self.deliveries(job_id)) >= deliveries,
                 what="%d deliveries of %s\n%s" % (deliveries, job_id, self.coyote.log()[-2000:]))
        wait_for(lambda: self.client.stat()[pipeline].get("active", 0) == 0, what="active == 0")
        time.sleep(settle)  # a redelivery that should not happen would show by now
        self.assertEqual(len(self.deliveries(job_id)), deliveries)
        return self.deltas(before, self.counters(pipeline))

    # --- spec 8 counters -----------------------------------------------------------------------

    def test_case5_ack_counts_one_ok(self):
        d = self.run_job("c5", reply('{"type":2,"data":[]}'))
        self.assertEqual(d, {"rr_jobs_jobs_ok": 1, "rr_jobs_push_ok": 1, "acks": 1, "pushes": 1})

    def test_case6_legacy_complete_counts_one_ok(self):
        d = self.run_job("c6", reply('{"type":0,"data":[]}'))
        self.assertEqual(d, {"rr_jobs_jobs_ok": 1, "rr_jobs_push_ok": 1, "acks": 1, "pushes": 1})

    def test_case8_nack_without_requeue_counts_one_error(self):
        d = self.run_job("c8a", reply('{"type":3,"data":{"message":"m","requeue":false,"delay_seconds":0}}'))
        self.assertEqual(d, {"rr_jobs_jobs_err": 1, "rr_jobs_push_ok": 1, "nacks": 1, "dead_lettered": 1, "pushes": 1})

    def test_case8_nack_with_requeue_counts_a_requeue_then_the_ack(self):
        marker = os.path.join(self.coyote.dir, "c8b.marker")
        payload = json.dumps({"once_marker": marker,
                              "reply": '{"type":3,"data":{"message":"m","requeue":true,"delay_seconds":0}}'}).encode()
        d = self.run_job("c8b", payload, deliveries=2)
        self.assertEqual(d, {"rr_jobs_jobs_requeue": 1, "rr_jobs_jobs_ok": 1, "rr_jobs_push_ok": 1,
                             "requeues": 1, "acks": 1, "pushes": 1})

    def test_case9_fail_without_requeue_counts_one_error(self):
        d = self.run_job("c9", reply('{"type":1,"data":{"message":"m","requeue":false,"delay_seconds":0}}'))
        self.assertEqual(d, {"rr_jobs_jobs_err": 1, "rr_jobs_push_ok": 1, "nacks": 1, "dead_lettered": 1, "pushes": 1})

    def test_case10_malformed_reply_counts_one_error_and_the_worker_stays(self):
        d = self.run_job("c10a", reply("not json"))
        self.assertEqual(d, {"rr_jobs_jobs_err": 1, "rr_jobs_push_ok": 1, "nacks": 1, "dead_lettered": 1, "pushes": 1})
        pid = self.deliveries("c10a")[0]["pid"]
        self.assertIn(pid, [w["pid"] for w in self.client.workers()])

    def test_case10_unknown_type_counts_one_ok(self):
        d = self.run_job("c10b", reply('{"type":99}'))
        self.assertEqual(d, {"rr_jobs_jobs_ok": 1, "rr_jobs_push_ok": 1, "acks": 1, "pushes": 1})

    def test_retries_and_dead_letters_are_counted_per_pipeline(self):
        d = self.run_job("dead1", reply("not json"), pipeline="retried", deliveries=2)
        self.assertEqual(d, {"rr_jobs_jobs_err": 2, "rr_jobs_push_ok": 1, "nacks": 2, "retries": 1,
                             "dead_lettered": 1, "pushes": 1})
        self.assertGreaterEqual(self.value(self.scrape(), "coyote_dead_letter_jobs", store="dlq"), 1)

    def test_push_sources_and_latency_carry_pipeline_and_driver(self):
        before = self.scrape()
        self.client.push_batch([self.client.job("out", "t", "b%d" % i) for i in range(3)])
        self.client.push("out", "t", "s1")
        after = self.scrape()
        for source, n in (("batch", 3), ("single", 1)):
            labels = {"job": "out", "driver": "memory", "source": source}
            self.assertEqual(self.value(after, "rr_jobs_requests_total", **labels)
                             - self.value(before, "rr_jobs_requests_total", **labels), n)
            self.assertEqual(self.value(after, "rr_jobs_push_latency_count", **labels)
                             - self.value(before, "rr_jobs_push_latency_count", **labels), n)
        self.assertGreaterEqual(self.value(after, "coyote_pipeline_driver_jobs", pipeline="out",
                                           driver="memory", state="active")
                                + self.value(after, "coyote_pipeline_queued_jobs", pipeline="out",
                                             driver="memory"), 0)

    # --- the scrape itself ---------------------------------------------------------------------

    def test_any_path_answers_with_the_text_format(self):
        for path in ("/metrics", "/", "/whatever?x=1"):
            status, ctype, body = http_get("http://127.0.0.1:%d%s" % (self.metrics_port, path))
            self.assertEqual(status, 200)
            self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
            self.assertIn("# TYPE rr_jobs_jobs_ok counter\n", body)
            self.assertIn("# HELP rr_jobs_jobs_ok Number of successfully processed jobs\n", body)

    def test_promtool_accepts_a_live_scrape(self):
        body = http_get(self.metrics_url)[2]
        proc = subprocess.run(["promtool", "check", "metrics"], input=body.encode(),
                              capture_output=True, timeout=60)
        lint = (proc.stdout + proc.stderr).decode()
        self.assertIn(proc.returncode, (0, 3), lint)  # 1 would be a parse error
        # RoadRunner's counter names (kept for its dashboards) lack _total; nothing else may lint.
        for line in lint.splitlines():
            self.assertRegex(line, r'^rr_jobs_\w+ counter metrics should have "_total" suffix$')

    def test_worker_metrics_match_informer(self):
        pids = sorted(w["pid"] for w in self.client.workers())
        s = self.scrape()
        self.assertEqual(self.value(s, "rr_jobs_total_workers"), len(pids))
        self.assertEqual(self.value(s, "rr_jobs_workers_ready") + self.value(s, "rr_jobs_workers_working")
                         + self.value(s, "rr_jobs_workers_invalid"), len(pids))
        states = sorted(int(dict(l)["pid"]) for (n, l) in s if n == "rr_jobs_worker_state")
        self.assertEqual(states, pids)
        for pid in pids:
            self.assertGreater(self.value(s, "rr_jobs_worker_memory_bytes", pid=str(pid)), 0)
        self.assertEqual(self.value(s, "coyote_pool_configured_workers", pool="default"), 2)

    def test_every_metric_the_dashboard_plots_is_exported(self):
        exprs = json.dumps(json.load(open(DASHBOARD)))
        names = set(re.findall(r"\b((?:rr_jobs|coyote|process)_[a-z_]+)", exprs))
        s = self.scrape()
        exported = {n for (n, _) in s}
        missing = sorted(n for n in names
                         if n not in exported and re.sub(r"_bucket$", "_count", n) not in exported)
        self.assertEqual(missing, [], "the dashboard plots metrics Coyote does not export")

    def test_rpc_calls_are_counted_by_method(self):
        before = self.scrape()
        self.client.list()
        self.client.list()
        with self.assertRaises(Exception):
            self.client.call("jobs.Nope", {})
        after = self.scrape()
        key = ("coyote_rpc_requests_total", frozenset({"method": "jobs.List"}.items()))
        self.assertEqual(after[key] - before.get(key, 0), 2)
        unknown = ("coyote_rpc_errors_total", frozenset({"method": "unknown"}.items()))
        self.assertEqual(after[unknown] - before.get(unknown, 0), 1)

    # --- status --------------------------------------------------------------------------------

    def test_health_and_ready_answer_with_rr_shapes(self):
        for path in ("/health", "/ready", "/health?plugin=jobs"):
            status, ctype, body = http_get(self.status_url + path)
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body),
                             [{"plugin_name": "jobs", "error_message": "", "status_code": 200}])
        status, _, body = http_get(self.status_url + "/health?plugin=http&plugin=jobs")
        self.assertEqual(status, 200)
        self.assertEqual([r["plugin_name"] for r in json.loads(body)], ["http", "jobs"])
        self.assertEqual(json.loads(body)[0]["status_code"], 404)

    def test_ready_stays_200_while_every_worker_is_busy(self):
        # RoadRunner's /ready turns 503 here; Coyote's default rule (status.ready_rule: workers)
        # keeps a fully loaded host in its load balancer.
        for i in range(2):
            self.client.push("p", "t", "busy%d" % i, json.dumps({"sleep": 1.5}).encode())
        try:
            wait_for(lambda: self.value(self.scrape(), "coyote_pool_busy_workers", pool="default") == 2,
                     what="both workers busy")
            self.assertEqual(self.value(self.scrape(), "coyote_pool_busy_ratio", pool="default"), 1)
            for path in ("/ready", "/ready?plugin=jobs", "/health"):
                status, _, body = http_get(self.status_url + path)
                self.assertEqual(status, 200, body)
        finally:
            wait_for(lambda: len(self.deliveries("busy0")) + len(self.deliveries("busy1")) == 2
                     and self.client.stat()["p"].get("active", 0) == 0, timeout=30,
                     what="the busy jobs finished")
            wait_for(lambda: self.value(self.scrape(), "coyote_pool_busy_workers", pool="default") == 0,
                     what="workers idle again")

    def test_jobs_lists_consumed_paused_and_producer_only_pipelines(self):
        status, ctype, body = http_get(self.status_url + "/jobs")
        self.assertEqual(status, 200, body)
        rows = {r["pipeline"]: r for r in json.loads(body)}
        self.assertEqual(list(json.loads(body)[0].keys()),
                         ["pipeline", "priority", "ready", "queue", "active", "delayed", "reserved",
                          "driver", "error_message"])
        self.assertTrue(rows["p"]["ready"])
        self.assertFalse(rows["paused"]["ready"])
        self.assertFalse(rows["out"]["ready"])  # producer-only: listed, never consumed
        self.assertEqual(rows["p"]["driver"], "memory")
        self.assertEqual(rows["p"]["priority"], 10)
        self.assertEqual(rows["out"]["error_message"], "")

    def test_status_rpc_twins(self):
        for method in ("status", "ready"):
            for codec in ([], ["json"]):
                r = php(self.coyote.address, method, "jobs", *codec)
                self.assertTrue(r["ok"], r)
                self.assertEqual(r["result"]["code"], 200)
        r = php(self.coyote.address, "status", "http")
        self.assertFalse(r["ok"])
        self.assertIn("no such plugin: http", r["error"])

    # --- metrics.* RPC as spiral/roadrunner-metrics sends it ------------------------------------

    def test_php_metrics_calls_update_collectors(self):
        a = self.coyote.address
        self.assertTrue(php(a, "metrics-add", "app_requests_total", 2, "/home")["ok"])
        self.assertTrue(php(a, "metrics-observe", "app_latency", 0.5)["ok"])
        collector = {"namespace": "app", "subsystem": "", "type": "gauge", "help": "Queue in app",
                     "labels": ["queue"], "buckets": []}
        self.assertTrue(php(a, "metrics-declare", "depth", json.dumps(collector))["ok"])
        self.assertTrue(php(a, "metrics-set", "depth", 7, "emails")["ok"])
        self.assertTrue(php(a, "metrics-sub", "depth", 2, "emails")["ok"])
        s = self.scrape()
        self.assertEqual(self.value(s, "app_requests_total", route="/home"), 2)
        self.assertEqual(self.value(s, "app_latency_bucket", le="1"), 1)
        self.assertEqual(self.value(s, "app_depth", queue="emails"), 5)
        self.assertTrue(php(a, "metrics-unregister", "depth")["ok"])
        self.assertNotIn("app_depth", {n for (n, _) in self.scrape()})

    def test_php_metrics_errors_say_what_is_wrong(self):
        a = self.coyote.address
        r = php(a, "metrics-add", "nope", 1)
        self.assertFalse(r["ok"])
        self.assertIn("undefined collector: nope", r["error"])
        r = php(a, "metrics-sub", "app_requests_total", 1, "/x")
        self.assertIn("does not support Sub", r["error"])
        r = php(a, "metrics-declare", "bad", json.dumps({"type": "meter", "help": ""}))
        self.assertIn("unknown collector type", r["error"])

    def test_label_cardinality_is_capped_and_refusals_counted(self):
        a = self.coyote.address
        collector = {"type": "gauge", "help": "Per user (a bad idea)", "labels": ["user"]}
        self.assertTrue(php(a, "metrics-declare", "bulk_users", json.dumps(collector))["ok"])
        r = php(a, "metrics-bulk", "set", "bulk_users", 300)
        self.assertTrue(r["ok"], r)
        self.assertEqual(r["result"]["refused"], 250)
        self.assertIn("limit", r["result"]["last_error"])
        s = self.scrape()
        self.assertEqual(len([l for (n, l) in s if n == "bulk_users"]), 50)  # metrics.max_series
        self.assertEqual(self.value(s, "coyote_metrics_series_refused_total", metric="bulk_users"), 250)
        self.client.list()  # the host is fine

    # --- tracing ---------------------------------------------------------------------------------

    def test_trace_context_reaches_the_worker_unchanged(self):
        tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        ts = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
        self.client.push("p", "t", "trace1", b"x", headers={"traceparent": [tp], "tracestate": [ts]})
        self.client.push("p", "t", "trace2", b"x")
        wait_for(lambda: self.deliveries("trace1") and self.deliveries("trace2"), what="traced jobs")
        headers = json.loads(self.deliveries("trace1")[0]["context"])["headers"]
        self.assertEqual(headers.get("traceparent"), [tp])
        self.assertEqual(headers.get("tracestate"), [ts])
        # Without one, the job gets a fresh root context (as RoadRunner's listener injects one),
        # under RoadRunner's canonical key, and keeps it on redelivery.
        headers = json.loads(self.deliveries("trace2")[0]["context"])["headers"]
        self.assertNotIn("traceparent", headers)
        self.assertRegex(headers["Traceparent"][0], r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")
        self.assertNotEqual(headers["Traceparent"][0][3:35], "0" * 32)
        # A requeued job comes back with the context its first delivery had.
        marker = os.path.join(self.coyote.dir, "trace3.marker")
        script = {"once_marker": marker,
                  "reply": '{"type":3,"data":{"message":"m","requeue":true,"delay_seconds":0}}'}
        self.client.push("p", "t", "trace3", json.dumps(script).encode())
        wait_for(lambda: len(self.deliveries("trace3")) >= 2, what="trace3 redelivered")
        first, second = (json.loads(r["context"])["headers"] for r in self.deliveries("trace3"))
        self.assertEqual(first["Traceparent"], second["Traceparent"])


class PrometheusScrapeTest(unittest.TestCase):
    """A real Prometheus server scrapes Coyote and answers rate(rr_jobs_jobs_ok[...])."""

    def test_prometheus_scrapes_and_answers_a_rate(self):
        prometheus = shutil.which("prometheus")
        self.assertIsNotNone(prometheus, "install Debian's prometheus (scripts/install-deps.sh)")
        metrics_port, prom_port = free_port(), free_port()
        yaml = YAML.format(metrics=metrics_port, status=free_port())
        work = tempfile.mkdtemp(prefix="coyote-prom-")
        with open(os.path.join(work, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: coyote\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % metrics_port)
        prom = None
        with Coyote(yaml) as coyote, coyote.rpc() as client:
            try:
                prom = subprocess.Popen(
                    [prometheus, "--config.file", os.path.join(work, "prometheus.yml"),
                     "--storage.tsdb.path", os.path.join(work, "data"),
                     "--web.listen-address", "127.0.0.1:%d" % prom_port],
                    stdout=open(os.path.join(work, "prometheus.log"), "wb"),
                    stderr=subprocess.STDOUT, start_new_session=True)
                api = "http://127.0.0.1:%d/api/v1/query?query=" % prom_port

                def query(q):
                    try:
                        status, _, body = http_get(api + urllib.parse.quote(q))
                    except OSError:  # not listening yet
                        return []
                    return json.loads(body)["data"]["result"] if status == 200 else []

                wait_for(lambda: query('up{job="coyote"} == 1'), timeout=60,
                         what="prometheus scraping coyote")
                deadline = time.monotonic() + 5
                n = 0
                while time.monotonic() < deadline:
                    client.push("p", "t", "prom%d" % n, b"x")
                    n += 1
                    time.sleep(0.05)
                result = wait_for(lambda: [r for r in query("rate(rr_jobs_jobs_ok[5s])")
                                           if float(r["value"][1]) > 0], timeout=30,
                                  what="a positive rate(rr_jobs_jobs_ok[5s])")
                self.assertEqual(result[0]["metric"]["job"], "coyote")
                per_pipeline = query('sum by (pipeline) (coyote_pipeline_acks_total{pipeline="p"})')
                self.assertTrue(per_pipeline and float(per_pipeline[0]["value"][1]) > 0)
            finally:
                if prom is not None:
                    os.killpg(prom.pid, signal.SIGTERM)
                    try:
                        prom.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        os.killpg(prom.pid, signal.SIGKILL)
                        prom.wait()
                shutil.rmtree(work, ignore_errors=True)


PRODUCER_YAML = """
version: "3"
rpc:
  listen: @RPC@
server:
  command: "python3 @WORKER@"
status:
  address: 127.0.0.1:{status}
jobs:
  pool:
    num_workers: 1
  pipelines:
    out:
      driver: memory
"""


class ProducerOnlyTest(unittest.TestCase):
    def test_producer_only_instance_is_healthy_and_ready(self):
        port = free_port()
        with Coyote(PRODUCER_YAML.format(status=port)) as coyote, coyote.rpc() as client:
            client.push("out", "t", "1", b"x")
            base = "http://127.0.0.1:%d" % port
            wait_for(lambda: http_get(base + "/health")[0] != 0, what="status endpoint")
            for path in ("/health", "/ready"):
                status, _, body = http_get(base + path)
                self.assertEqual(status, 200, body)  # RoadRunner answers 503 here
            status, _, body = http_get(base + "/jobs")
            self.assertEqual(status, 200)
            # The default dead-letter store is listed beside the pipelines, as in informer.Jobs.
            self.assertEqual([(r["pipeline"], r["driver"], r["ready"]) for r in json.loads(body)],
                             [("dead", "dead_letter", False), ("out", "memory", False)])


BAD_YAML = """
version: "3"
rpc:
  listen: @RPC@
server:
  command: "python3 @WORKER@"
{extra}
jobs:
  pool:
    num_workers: 1
  consume: ["p"]
  pipelines:
    p:
      driver: memory
"""


class BadInputTest(unittest.TestCase):
    """A broken metrics or status setting is logged with what to fix; jobs keep running."""

    def assert_host_up(self, coyote):
        with coyote.rpc() as client:
            client.push("p", "t", "alive", b"x")
        coyote.wait_records(1)

    def test_metrics_port_in_use(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            with Coyote(BAD_YAML.format(extra="metrics:\n  address: 127.0.0.1:%d\n" % port)) as c:
                self.assert_host_up(c)
                self.assertRegex(c.log(), r"metrics\.address 127\.0\.0\.1:%d.*address in use" % port)

    def test_status_port_in_use(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            with Coyote(BAD_YAML.format(extra="status:\n  address: 127.0.0.1:%d\n" % port)) as c:
                self.assert_host_up(c)
                self.assertRegex(c.log(), r"status\.address 127\.0\.0\.1:%d.*address in use" % port)

    def test_non_loopback_needs_opt_in(self):
        port = free_port()
        with Coyote(BAD_YAML.format(extra="metrics:\n  address: 0.0.0.0:%d\n" % port)) as c:
            self.assert_host_up(c)
            self.assertIn("not a loopback address", c.log())
            self.assertIn("metrics.allow_remote", c.log())
            self.assertEqual(http_get_or_none("http://127.0.0.1:%d/" % port), None)
        port = free_port()
        extra = "metrics:\n  address: 0.0.0.0:%d\n  allow_remote: true\n" % port
        with Coyote(BAD_YAML.format(extra=extra)) as c:
            wait_for(lambda: http_get_or_none("http://127.0.0.1:%d/" % port), what="metrics")

    def test_malformed_collect_is_reported_and_host_metrics_still_served(self):
        port = free_port()
        extra = ("metrics:\n  address: 127.0.0.1:%d\n  collect:\n    app_x:\n      type: meter\n"
                 % port)
        with Coyote(BAD_YAML.format(extra=extra)) as c:
            self.assert_host_up(c)
            self.assertIn("metrics.collect.app_x.type", c.log())
            self.assertIn('unknown metric type "meter"', c.log())
            body = wait_for(lambda: http_get_or_none("http://127.0.0.1:%d/" % port), what="metrics")
            self.assertIn("rr_jobs_jobs_ok", body)
            self.assertNotIn("app_x", body)


def http_get_or_none(url):
    try:
        status, _, body = http_get(url, timeout=2)
        return body if status == 200 else None
    except OSError:
        return None


if __name__ == "__main__":
    unittest.main()
