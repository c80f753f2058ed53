"""A real redis-server for tests: free port, data in a temp dir, stopped by pid; plus a tiny client.

    with RedisServer() as redis:             # appendonly yes, appendfsync always, no RDB saves
        redis.call("XLEN", "jobs")
        redis.kill(); redis.start()           # kill -9 and restart on the same port and data

The client speaks RESP directly (no redis-py on the test machines): enough for the assertions the
driver tests make (XINFO, XLEN, XPENDING, ZCARD, CONFIG SET, ...).
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import free_port


class RedisError(Exception):
    """An error reply; str() is Redis's text."""


class RedisClient:
    def __init__(self, host="127.0.0.1", port=6379, unix=None, timeout=10.0, password=None, username=None):
        if unix:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(unix)
        else:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        if password:
            self.call(*(["AUTH", username, password] if username else ["AUTH", password]))

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode(errors="surrogateescape")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise ValueError("bad RESP line %r" % line)

    def send(self, *args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
        self.sock.sendall(b"".join(parts))

    def call(self, *args):
        self.send(*args)
        r = self._reply()
        if isinstance(r, RedisError):
            raise r
        return r

    def pipeline(self, commands):
        """Sends every command, then reads every reply (errors returned, not raised)."""
        for c in commands:
            self.send(*c)
        return [self._reply() for _ in commands]


def pairs(flat):
    """[k1, v1, k2, v2] -> {k1: v1, k2: v2} (XINFO replies)."""
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


class RedisServer:
    """One redis-server process. `args` are extra command-line settings."""

    def __init__(self, args=(), bind="127.0.0.1", port=None, netns=None, password=None,
                 unixsocket=False, appendfsync="always"):
        self.dir = tempfile.mkdtemp(prefix="coyote-redis-")
        self.bind = bind
        self.port = port or free_port()
        self.netns = netns  # (topology, host) to run inside a network namespace
        self.password = password
        self.unix = os.path.join(self.dir, "redis.sock") if unixsocket else None
        self.args = list(args)
        self.appendfsync = appendfsync
        self.proc = None
        self.log_path = os.path.join(self.dir, "redis.log")

    @property
    def url(self):
        return "redis://%s:%d" % (self.bind, self.port)

    def argv(self):
        argv = ["redis-server", "--port", str(self.port), "--bind", self.bind, "--dir", self.dir,
                "--appendonly", "yes", "--appendfsync", self.appendfsync, "--save", "",
                "--daemonize", "no", "--logfile", self.log_path, "--protected-mode", "no"]
        if self.password:
            argv += ["--requirepass", self.password]
        if self.unix:
            argv += ["--unixsocket", self.unix, "--unixsocketperm", "700"]
        return argv + self.args

    def start(self, timeout=20.0):
        options = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                       start_new_session=True)
        if self.netns:
            topology, host = self.netns
            self.proc = topology.popen(host, self.argv(), **options)
        else:
            self.proc = subprocess.Popen(self.argv(), **options)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("redis-server exited with %s:\n%s" % (self.proc.returncode, self.log()))
            try:
                with self.client(timeout=1.0) as c:
                    c.call("PING")
                return self
            except (OSError, RedisError, ConnectionError):
                time.sleep(0.05)
        raise AssertionError("redis-server did not answer on %s:\n%s" % (self.url, self.log()))

    def client(self, timeout=10.0):
        # A namespaced server is reached from the test's namespace through the bridge address.
        return RedisClient(self.bind, self.port, timeout=timeout, password=self.password)

    def call(self, *args):
        with self.client() as c:
            return c.call(*args)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def kill(self, sig=signal.SIGKILL):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=20)
        self.proc = None

    def stop(self):
        self.kill(signal.SIGTERM)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            self.kill()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
