"""Minimal RoadRunner-compatible jobs worker library (Python stdlib only).

Speaks goridge frames on stdin/stdout (spec §1), answers the pid handshake (§2.3) and the
host's stop request (§2.5), and sends the jobs response protocol (§3.4/§3.5).
Anything you want to log goes to stderr: stdout carries frames only.

Coyote extensions (docs/scheduling.md "Results and progress"): ``task.ack(result)`` returns a
JSON result with the ack ({"type":2,"data":{"result":...}}; a plain ack stays RoadRunner's), and
``task.progress("3/10")`` checks in over RR_RPC (coyote.JobProgress). Both need
``jobs.results`` in the host's .rr.yaml.
"""
import json
import os
import socket
import struct
import sys
import zlib

CONTROL = 0x01
CODEC_RAW = 0x04
CODEC_JSON = 0x08
ERROR = 0x40
STREAM = 0x01


class Frame:
    __slots__ = ("flags", "stream", "options", "payload")

    def __init__(self, flags, stream, options, payload):
        self.flags = flags
        self.stream = stream
        self.options = options
        self.payload = payload


def encode_frame(flags, payload=b"", options=(), stream=0):
    """Header (with CRC over bytes 0..5), option words, payload."""
    byte0 = (1 << 4) | (3 + len(options))
    first6 = struct.pack("<BBI", byte0, flags, len(payload))
    crc = zlib.crc32(first6) & 0xFFFFFFFF
    header = first6 + struct.pack("<IBB", crc, stream, 0)
    return header + b"".join(struct.pack("<I", o) for o in options) + payload


class Relay:
    """Frames over a pair of binary streams (stdin/stdout by default)."""

    def __init__(self, rfile=None, wfile=None):
        self.rfile = rfile or sys.stdin.buffer
        self.wfile = wfile or sys.stdout.buffer

    def _read_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.rfile.read(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def receive(self):
        header = self._read_exact(12)
        if header is None:
            return None
        byte0, flags, length, crc, stream, _ = struct.unpack("<BBIIBB", header)
        if zlib.crc32(header[:6]) & 0xFFFFFFFF != crc:
            raise ValueError("bad frame CRC from the host")
        words = byte0 & 0x0F
        rest = self._read_exact((words - 3) * 4 + length) if (words - 3) * 4 + length else b""
        if rest is None:
            return None
        nopt = words - 3
        options = list(struct.unpack("<%dI" % nopt, rest[: nopt * 4])) if nopt else []
        return Frame(flags, stream, options, rest[nopt * 4:])

    def send(self, data):
        self.wfile.write(data)
        self.wfile.flush()


class Task:
    """One received job. Answer exactly once: ack, nack, requeue, fail, error or restart."""

    def __init__(self, worker, context, payload):
        self._worker = worker
        self.context = context
        self.id = context.get("id")
        self.name = context.get("job")
        self.pipeline = context.get("pipeline", "unknown")
        self.queue = context.get("queue", "unknown")
        self.driver = context.get("driver", "unknown")
        self.headers = context.get("headers") or {}
        self.payload = payload
        self.answered = False
        self._delay = 0

    def with_delay(self, seconds):
        self._delay = int(seconds)
        return self

    def with_header(self, key, value):
        self.headers[key] = value if isinstance(value, list) else [str(value)]
        return self

    def _respond(self, body):
        if self.answered:
            return
        self.answered = True
        self._worker.respond(json.dumps(body, separators=(",", ":")).encode())

    def ack(self, result=None):
        """Acknowledge; a non-None `result` (any JSON value) is kept for producers (Coyote)."""
        if result is None:
            self._respond({"type": 2, "data": []})
        else:
            self._respond({"type": 2, "data": {"result": result}})

    def progress(self, text):
        """Report progress for this job over RR_RPC (Coyote's coyote.JobProgress)."""
        rpc_call("coyote.JobProgress", {"id": self.id, "progress": text})

    def complete(self):
        self._respond({"type": 0, "data": []})

    def nack(self, message="", requeue=False):
        self._respond({"type": 3, "data": {"message": message, "requeue": requeue,
                                           "delay_seconds": self._delay}})

    def requeue(self, message=""):
        data = {"message": message, "delay_seconds": self._delay}
        if self.headers:
            data["headers"] = self.headers
        self._respond({"type": 4, "data": data})

    def fail(self, message="", requeue=False):
        data = {"message": message, "requeue": requeue, "delay_seconds": self._delay}
        if self.headers:
            data["headers"] = self.headers
        self._respond({"type": 1, "data": data})

    def error(self, message):
        """Soft error frame (ERROR flag): the host nacks the job, the worker stays."""
        if self.answered:
            return
        self.answered = True
        self._worker.relay.send(encode_frame(ERROR, message.encode()))

    def restart(self):
        """Ask the host to recycle this worker; the host re-runs this job elsewhere."""
        if self.answered:
            return
        self.answered = True
        self._worker.request_restart()


class Worker:
    def __init__(self, relay=None):
        self.relay = relay or Relay()

    def respond(self, body, context=b""):
        self.relay.send(encode_frame(0, context + body, options=(len(context),)))

    def request_restart(self):
        self.respond(b"", context=b'{"stop":true}')

    def wait_task(self):
        """The next Task, or None when the host asked us to stop (or closed the pipe)."""
        while True:
            frame = self.relay.receive()
            if frame is None:
                return None
            if frame.flags & CONTROL:
                msg = json.loads(frame.payload or b"{}")
                if msg.get("stop"):
                    return None
                if msg.get("pid"):
                    self.relay.send(encode_frame(CONTROL, json.dumps({"pid": os.getpid()}).encode()))
                    continue
                raise ValueError("undefined control frame: %r" % frame.payload)
            ctx_len = frame.options[0] if frame.options else 0
            context = json.loads(frame.payload[:ctx_len] or b"{}")
            return Task(self, context, frame.payload[ctx_len:])


_rpc = None
_rpc_reader = None


def rpc_call(method, request):
    """One goridge RPC call with the JSON codec to the host's RR_RPC address (tcp:// or unix://);
    the connection is kept for the next call. Raises RuntimeError with the host's error text."""
    global _rpc, _rpc_reader
    if _rpc is None:
        address = os.environ.get("RR_RPC", "")
        if address.startswith("tcp://"):
            host, port = address[len("tcp://"):].rsplit(":", 1)
            _rpc = socket.create_connection((host, int(port)), timeout=30)
        elif address.startswith("unix://"):
            _rpc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            _rpc.connect(address[len("unix://"):])
        else:
            raise RuntimeError("RR_RPC is not set: configure rpc.listen in .rr.yaml")
        _rpc_reader = Relay(_rpc.makefile("rb"), None)
    body = json.dumps(request).encode()
    m = method.encode()
    _rpc.sendall(encode_frame(CODEC_JSON, m + body, options=(1, len(m))))
    frame = _rpc_reader.receive()
    if frame is None:
        _rpc = None
        raise RuntimeError("the host closed the RPC connection")
    reply = frame.payload[frame.options[1] if len(frame.options) > 1 else 0:]
    if frame.flags & ERROR:
        raise RuntimeError(reply.decode(errors="replace"))
    return json.loads(reply or b"null")


def log(*args):
    print(*args, file=sys.stderr, flush=True)
