"""A real beanstalkd for end-to-end tests, and a small client to look at it directly.

    with Beanstalkd() as server:               # free loopback port, binlog in a temporary dir
        client = BeanstalkClient(server.port)
        server.kill(); server.start()          # restart on the same port and binlog

The server is started by the test and stopped by pid (also on failure); never a system service.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from harness import free_port


class Beanstalkd:
    def __init__(self, host="127.0.0.1", port=None, binlog=True, topology=None, ns_host=None,
                 unix=False):
        """With `topology`/`ns_host` (netns.Topology), it runs in that namespace on its address.
        With `unix`, it listens on a socket file in its directory instead of TCP."""
        self.topology, self.ns_host = topology, ns_host
        self.host = topology.ip(ns_host) if topology else host
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="coyote-beanstalkd-")
        self.socket_path = os.path.join(self.dir, "beanstalkd.sock") if unix else None
        self.binlog = binlog
        self.proc = None

    @property
    def address(self):
        if self.socket_path:
            return "unix://" + self.socket_path
        return "tcp://%s:%d" % (self.host, self.port)

    def start(self):
        listen = "unix:" + self.socket_path if self.socket_path else self.host
        argv = ["beanstalkd", "-l", listen, "-p", str(self.port)]
        if self.binlog:
            argv += ["-b", self.dir]
        log = open(os.path.join(self.dir, "beanstalkd.log"), "ab")
        options = dict(stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                       start_new_session=True)
        if self.topology is not None:
            self.proc = self.topology.popen(self.ns_host, argv, **options)
        else:
            self.proc = subprocess.Popen(argv, **options)
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("beanstalkd exited with %s" % self.proc.returncode)
            if self._listening():
                return self
            time.sleep(0.02)
        raise AssertionError("beanstalkd did not listen on %s" % self.address)

    def _listening(self):
        if self.socket_path:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.socket_path)
                s.close()
                return True
            except OSError:
                return False
        if self.topology is not None:
            probe = ("import socket,sys\ns=socket.socket();s.settimeout(0.3)\n"
                     "sys.exit(0 if s.connect_ex((%r,%d))==0 else 1)" % (self.host, self.port))
            return self.topology.run(self.ns_host, ["python3", "-c", probe],
                                     capture_output=True).returncode == 0
        try:
            socket.create_connection((self.host, self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def kill(self):
        """kill -9: what the binlog holds survives."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class BeanstalkError(Exception):
    pass


class BeanstalkClient:
    """Blocking, one command at a time: enough to inspect and feed a tube from a test."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise BeanstalkError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def _data(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise BeanstalkError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def cmd(self, line, body=None):
        out = line.encode() + b"\r\n"
        if body is not None:
            out += body + b"\r\n"
        self.sock.sendall(out)
        reply = self._line()
        words = reply.split()
        if words[0] in ("RESERVED", "FOUND"):
            return words[0], int(words[1]), self._data(int(words[2]))
        if words[0] == "OK":
            return "OK", self._yaml(self._data(int(words[1])))
        return tuple(words)

    @staticmethod
    def _yaml(data):
        out = {}
        for line in data.decode().splitlines():
            if ": " in line:
                k, v = line.split(": ", 1)
                out[k] = int(v) if v.isdigit() else v.strip('"')
        return out

    def use(self, tube):
        return self.cmd("use " + tube)

    def watch(self, tube):
        return self.cmd("watch " + tube)

    def put(self, body, pri=0, delay=0, ttr=30):
        reply = self.cmd("put %d %d %d %d" % (pri, delay, ttr, len(body)), body)
        if reply[0] != "INSERTED":
            raise BeanstalkError("put failed: %r" % (reply,))
        return int(reply[1])

    def reserve(self, timeout=0):
        return self.cmd("reserve-with-timeout %d" % timeout)

    def tube(self, name):
        reply = self.cmd("stats-tube " + name)
        return reply[1] if reply[0] == "OK" else {}

    def job(self, job_id):
        reply = self.cmd("stats-job %d" % job_id)
        return reply[1] if reply[0] == "OK" else None

    def peek_ready(self):
        """(id, body) of the next ready job in the used tube, or None."""
        reply = self.cmd("peek-ready")
        return (reply[1], reply[2]) if reply[0] == "FOUND" else None

    def peek_delayed(self):
        reply = self.cmd("peek-delayed")
        return (reply[1], reply[2]) if reply[0] == "FOUND" else None


class FaultProxy:
    """A TCP relay in front of beanstalkd that can slip bytes into the server-to-client stream
    (beanstalkd itself never sends an unexpected reply, so this is how a test makes one) and keeps
    what the clients sent."""

    def __init__(self, upstream_port, upstream_host="127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        self.inject_before = None  # (marker bytes, garbage bytes): once, before the marker
        self.injected = 0
        self.from_clients = b""  # everything clients sent, for tests that check the commands
        self.lock = threading.Lock()
        self.stopped = False
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def inject_once(self, before, garbage):
        with self.lock:
            self.inject_before = (before, garbage)

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            self.sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, src, dst, from_server):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if not from_server:
                    with self.lock:
                        self.from_clients += data
                if from_server:
                    with self.lock:
                        if self.inject_before and self.inject_before[0] in data:
                            at = data.index(self.inject_before[0])
                            data = data[:at] + self.inject_before[1] + data[at:]
                            self.inject_before = None
                            self.injected += 1
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.stopped = True
        self.listener.close()
        for s in self.sockets:
            try:
                s.close()
            except OSError:
                pass
