"""Starts the real `coyote` binary on a temporary .rr.yaml and talks to it, for end-to-end tests."""
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from goridge_rpc import RpcClient

SOURCE_DIR = os.environ.get("COYOTE_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
BINARY_DIR = os.environ.get("COYOTE_BINARY_DIR", os.path.join(SOURCE_DIR, "build"))
COYOTE_BIN = os.path.join(BINARY_DIR, "bin", "coyote")
RECORDING_WORKER = os.path.join(SOURCE_DIR, "tests", "e2e", "workers", "recording_worker.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=20.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))


class Coyote:
    """One `coyote serve` process. Use as a context manager; the log is kept for assertions."""

    def __init__(self, yaml_text, extra_env=None, args=(), topology=None, host=None):
        """With `topology` (netns.Topology) and `host`, the process runs in that host's network
        namespace and its RPC listens on the host's address (reachable from the test through
        the bridge)."""
        self.dir = tempfile.mkdtemp(prefix="coyote-e2e-")
        self.topology, self.host = topology, host
        self.rpc_host = topology.ip(host) if topology else "127.0.0.1"
        self.port = free_port()
        self.address = "tcp://%s:%d" % (self.rpc_host, self.port)
        self.record_path = os.path.join(self.dir, "record.jsonl")
        self.config_path = os.path.join(self.dir, ".rr.yaml")
        with open(self.config_path, "w") as f:
            f.write(yaml_text.replace("@RPC@", self.address).replace("@DIR@", self.dir)
                    .replace("@SOURCE@", SOURCE_DIR).replace("@WORKER@", RECORDING_WORKER))
        self.log_path = os.path.join(self.dir, "coyote.log")
        self.env = dict(os.environ, COYOTE_E2E_RECORD=self.record_path, **(extra_env or {}))
        self.args = list(args)
        self.proc = None

    def start(self, wait_rpc=True):
        self.log_file = open(self.log_path, "wb")
        argv = [COYOTE_BIN, "serve", "-c", self.config_path] + self.args
        options = dict(cwd=self.dir, env=self.env, stdin=subprocess.DEVNULL, stdout=self.log_file,
                       stderr=subprocess.STDOUT, start_new_session=True)
        if self.topology is not None:
            self.proc = self.topology.popen(self.host, argv, **options)
        else:
            self.proc = subprocess.Popen(argv, **options)
        if wait_rpc:
            wait_for(self._rpc_up, timeout=30, what="coyote RPC at " + self.address + "\n" + self.log())
        return self

    def _rpc_up(self):
        if self.proc.poll() is not None:
            raise AssertionError("coyote exited with %s:\n%s" % (self.proc.returncode, self.log()))
        try:
            socket.create_connection((self.rpc_host, self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def rpc(self):
        return RpcClient(self.address)

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def records(self):
        try:
            with open(self.record_path) as f:
                return [json.loads(line) for line in f if line.strip()]
        except OSError:
            return []

    def wait_records(self, count, timeout=20.0):
        return wait_for(lambda: (r := self.records()) and len(r) >= count and r, timeout=timeout,
                        what="%d job records (log:\n%s)" % (count, self.log()[-3000:]))

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError("coyote did not stop within %ss:\n%s" % (timeout, self.log()[-3000:]))

    def kill(self):
        """SIGKILL the host's process group if it still runs, and reap it (a test's cleanup)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            self.stop()
        finally:
            if self.proc and self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.log_file.close()


def run_cli(*args, cwd=None, env=None, timeout=60):
    """Runs `coyote ARGS...` and returns (exit code, stdout, stderr)."""
    proc = subprocess.run([COYOTE_BIN] + list(args), cwd=cwd or SOURCE_DIR,
                          env=dict(os.environ, **(env or {})), stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout)
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


BASIC_YAML = """
version: "3"
rpc:
  listen: @RPC@
server:
  command: "python3 @WORKER@"
logs:
  level: debug
jobs:
  pool:
    num_workers: {workers}
    allocate_timeout: 10s
    destroy_timeout: 5s
  consume: ["p"]
  pipelines:
    p:
      driver: memory
      config:
        priority: 10
        prefetch: 100
"""


class CoyoteTestCase(unittest.TestCase):
    maxDiff = None
