"""The dashboard in a real browser (Debian's chromium driven by playwright-core from npm) against
the real binary and real Python workers: every page loads, pause and resume show the new state,
a pushed job moves the counts, a dead job is replayed and runs, a payload and headers full of
<script> are shown as text, a running job's id and progress check-in are shown on its worker,
stopping that worker replaces its pid (and the job still finishes: its result is on the Results
page), a triggered schedule's fired count moves, the Metrics page counts a job class's acked and
failed jobs, the phone layout does not scroll sideways, and a stopped host shows
the "unreachable" banner. Screenshots of each page: <build>/test-output/dashboard-browser/."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import BINARY_DIR, SOURCE_DIR, Coyote, free_port, wait_for

CHROMIUM = os.environ.get("COYOTE_CHROMIUM", "/usr/bin/chromium")
SCRIPT = os.path.join(SOURCE_DIR, "tests", "e2e", "browser", "dashboard_browser.mjs")
PLAYWRIGHT = os.path.join(SOURCE_DIR, "dashboard", "node_modules", "playwright-core")
SCREENSHOTS = os.path.join(BINARY_DIR, "test-output", "dashboard-browser")

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
  consume: ["work", "doomed"]
  results:
    ttl: 10m
  schedules:
    nightly:
      spec: "0 3 * * *"
      pipeline: work
      job: Nightly
      payload: "{}"
  pipelines:
    work:
      driver: memory
    doomed:
      driver: memory
      dead_letter: dlq
      retry:
        max_attempts: 1
dashboard:
  address: 127.0.0.1:%d
"""


@unittest.skipUnless(os.access(CHROMIUM, os.X_OK),
                     "chromium is not installed (%s): scripts/install-deps.sh installs it" % CHROMIUM)
class DashboardBrowserTest(unittest.TestCase):
    def test_every_page_and_action_in_chromium(self):
        self.assertTrue(shutil.which("node"), "node is not installed: scripts/install-deps.sh")
        self.assertTrue(os.path.isdir(PLAYWRIGHT),
                        "playwright-core is missing: run `npm ci` in dashboard/ (scripts/install-deps.sh does)")
        shutil.rmtree(SCREENSHOTS, ignore_errors=True)
        port = free_port()
        markers = tempfile.mkdtemp(prefix="coyote-browser-")
        try:
            with Coyote(YAML % port) as host:
                url = "http://127.0.0.1:%d" % port
                wait_for(lambda: "dashboard listening on" in host.log(), what="dashboard up\n" + host.log())
                env = dict(os.environ, COYOTE_DASHBOARD_URL=url, COYOTE_SCREENSHOTS=SCREENSHOTS,
                           COYOTE_SOURCE_DIR=SOURCE_DIR, COYOTE_MARKER_DIR=markers,
                           COYOTE_CHROMIUM=CHROMIUM, COYOTE_STOP_HOST_PID=str(host.proc.pid))
                proc = subprocess.run(["node", SCRIPT], env=env, capture_output=True, timeout=180)
                out = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
                self.assertEqual(proc.returncode, 0, out + "\nhost log:\n" + host.log()[-3000:])
                for step in ("overview", "pause-resume", "push-count-moves", "workers",
                             "workers-current-job", "stop-worker-replaced", "schedules-trigger",
                             "results-lookup", "dead-xss-shown-as-text", "replay-runs", "metrics-per-class",
                             "phone-layout",
                             "host-unreachable", "no-console-errors"):
                    self.assertIn("ok " + step, out)
        finally:
            shutil.rmtree(markers, ignore_errors=True)
        for name in ("overview", "pipelines", "push", "workers", "workers-current-job",
                     "workers-after-stop", "schedules", "results", "dead-detail", "metrics",
                     "phone-overview"):
            self.assertTrue(os.path.exists(os.path.join(SCREENSHOTS, name + ".png")), name)


if __name__ == "__main__":
    unittest.main()
