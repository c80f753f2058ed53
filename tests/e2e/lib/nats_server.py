"""A nats-server (JetStream) started by a test, and a minimal NATS client to inspect it.

NatsServer runs Debian's nats-server on a free port with its store in a temporary directory,
stopped by pid (also when a test fails). NatsClient speaks the NATS text protocol (INFO, CONNECT,
PUB/HPUB, SUB, MSG/HMSG, PING/PONG) over one socket: enough to call the JetStream API, publish as
a foreign producer or as RoadRunner would, and read stored messages. No NATS library is needed.
"""
import base64
import json
import os
import random
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time

from harness import free_port, wait_for


class NatsServer:
    def __init__(self, jetstream=True, host="127.0.0.1", topology=None, netns_host=None):
        self.dir = tempfile.mkdtemp(prefix="coyote-nats-")
        self.jetstream = jetstream
        self.topology, self.netns_host = topology, netns_host
        self.host = topology.ip(netns_host) if topology else host
        self.port = free_port()
        self.proc = None
        self.log_path = os.path.join(self.dir, "nats-server.log")

    @property
    def url(self):
        return "nats://%s:%d" % (self.host, self.port)

    def start(self):
        argv = ["nats-server", "-a", self.host, "-p", str(self.port)]
        if self.jetstream:
            argv += ["-js", "-sd", os.path.join(self.dir, "store")]
        log = open(self.log_path, "ab")
        options = dict(stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                       start_new_session=True)
        if self.topology is not None:
            self.proc = self.topology.popen(self.netns_host, argv, **options)
        else:
            self.proc = subprocess.Popen(argv, **options)
        log.close()
        wait_for(self._ready, timeout=20, what="nats-server on %s\n%s" % (self.url, self.log()))
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("nats-server exited with %s:\n%s" % (self.proc.returncode, self.log()))
        if self.topology is not None:
            return "Server is ready" in self.log()
        try:
            socket.create_connection((self.host, self.port), timeout=0.2).close()
            return "Server is ready" in self.log()
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def restart(self, sig=signal.SIGKILL, down_seconds=0.0):
        """Stops the server (SIGKILL: as a crash) and starts it again on the same port and store."""
        self.stop(sig)
        time.sleep(down_seconds)
        return self.start()

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def client(self):
        return NatsClient(self.host, self.port)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


class NatsError(Exception):
    pass


def _token(n=10):
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(n))


class NatsClient:
    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.sid = 0
        info = self._line()
        if not info.startswith(b"INFO"):
            raise NatsError("expected INFO, got %r" % info)
        connect = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True,
                   "protocol": 1, "name": "coyote-e2e"}
        self.sock.sendall(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
        while True:
            kind, _ = self._next()
            if kind == "PONG":
                break

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- protocol --------------------------------------------------------------------------
    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise NatsError("nats-server closed the connection")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _bytes(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _next(self):
        """One server operation: ("MSG", (subject, sid, reply, headers, payload)), ("PONG", None)."""
        while True:
            line = self._line()
            if line.startswith(b"PING"):
                self.sock.sendall(b"PONG\r\n")
                continue
            if line.startswith(b"PONG"):
                return "PONG", None
            if line.startswith(b"+OK") or line.startswith(b"INFO"):
                continue
            if line.startswith(b"-ERR"):
                raise NatsError(line.decode(errors="replace"))
            parts = line.decode().split()
            if parts[0] == "MSG":
                subject, sid = parts[1], parts[2]
                reply = parts[3] if len(parts) == 5 else None
                payload = self._bytes(int(parts[-1]))
                return "MSG", (subject, sid, reply, {}, payload)
            if parts[0] == "HMSG":
                subject, sid = parts[1], parts[2]
                reply = parts[3] if len(parts) == 6 else None
                hlen, total = int(parts[-2]), int(parts[-1])
                data = self._bytes(total)
                return "MSG", (subject, sid, reply, parse_headers(data[:hlen]), data[hlen:])

    def publish(self, subject, payload=b"", headers=None, reply=None):
        reply_part = (" " + reply) if reply else ""
        if headers:
            block = encode_headers(headers)
            self.sock.sendall(("HPUB %s%s %d %d\r\n" % (subject, reply_part, len(block),
                                                       len(block) + len(payload))).encode()
                              + block + payload + b"\r\n")
        else:
            self.sock.sendall(("PUB %s%s %d\r\n" % (subject, reply_part, len(payload))).encode()
                              + payload + b"\r\n")

    def request(self, subject, payload=b"", headers=None, timeout=5.0):
        inbox = "_INBOX." + _token(16)
        self.sid += 1
        sid = str(self.sid)
        self.sock.sendall(("SUB %s %s\r\n" % (inbox, sid)).encode())
        self.publish(subject, payload, headers, reply=inbox)
        self.sock.settimeout(timeout)
        try:
            while True:
                kind, msg = self._next()
                if kind == "MSG" and msg[1] == sid:
                    self.sock.sendall(("UNSUB %s\r\n" % sid).encode())
                    return msg[3], msg[4]
        finally:
            self.sock.settimeout(None)

    # -- JetStream -------------------------------------------------------------------------
    def js(self, api, body=None):
        headers, payload = self.request("$JS.API." + api, json.dumps(body).encode() if body is not None else b"")
        if headers.get(":status", [""])[0] == "503":
            raise NatsError("no responders for $JS.API.%s (JetStream disabled?)" % api)
        reply = json.loads(payload)
        if "error" in reply:
            raise NatsError("%s: %s" % (api, reply["error"]))
        return reply

    def js_publish(self, subject, payload, headers=None):
        """Publishes and waits for the JetStream ack; returns its sequence."""
        h, reply = self.request(subject, payload, headers)
        if h.get(":status", [""])[0] == "503":
            raise NatsError("no stream for subject " + subject)
        ack = json.loads(reply)
        if "error" in ack:
            raise NatsError(str(ack["error"]))
        return ack["seq"]

    def stream_info(self, stream):
        return self.js("STREAM.INFO." + stream)

    def stream_exists(self, stream):
        try:
            self.stream_info(stream)
            return True
        except NatsError as e:
            if "not found" in str(e):
                return False
            raise

    def consumer_info(self, stream, consumer):
        return self.js("CONSUMER.INFO.%s.%s" % (stream, consumer))

    def add_stream(self, name, subjects, **config):
        body = dict(name=name, subjects=subjects, storage=config.pop("storage", "file"),
                    retention=config.pop("retention", "limits"), **config)
        return self.js("STREAM.CREATE." + name, body)

    def get_message(self, stream, seq):
        """(headers, body) of the stored message at seq."""
        m = self.js("STREAM.MSG.GET." + stream, {"seq": seq})["message"]
        headers = parse_headers(base64.b64decode(m["hdrs"])) if m.get("hdrs") else {}
        return headers, base64.b64decode(m.get("data") or b"")


def encode_headers(headers):
    lines = ["NATS/1.0"]
    for key, values in headers.items():
        for v in (values if isinstance(values, list) else [values]):
            lines.append("%s: %s" % (key, v))
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def parse_headers(block):
    out = {}
    lines = block.decode(errors="replace").split("\r\n")
    first = lines[0].split(None, 2)
    if len(first) >= 2:
        out[":status"] = [first[1]]
    for line in lines[1:]:
        if not line or ":" not in line:
            continue
        key, value = line.split(":", 1)
        out.setdefault(key, []).append(value.strip())
    return out


def rr_body(job, job_id, payload, priority=10, pipeline="", delay=0, auto_ack=False):
    """The body RoadRunner's nats driver publishes (Go's json.Marshal of its Item)."""
    options = {"priority": priority}
    if pipeline:
        options["pipeline"] = pipeline
    if delay:
        options["delay"] = delay
    options["auto_ack"] = auto_ack
    options["Queue"] = ""
    return json.dumps({"job": job, "id": job_id, "payload": base64.b64encode(payload).decode(),
                       "options": options}, separators=(",", ":")).encode()
