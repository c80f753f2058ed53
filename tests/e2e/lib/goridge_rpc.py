"""A goridge RPC client (spec 4) in plain Python, JSON codec, for end-to-end tests.

It speaks the wire directly (12-byte header, CRC-32 over bytes 0-5, options [seq, method length])
so the tests check Coyote's framing, not a library's.
"""
import base64
import json
import socket
import struct
import zlib

FLAG_JSON = 0x08
FLAG_ERROR = 0x40
FLAG_PROTO = 0x80


class RpcError(Exception):
    """The server answered with the ERROR flag; str(e) is its text."""


def encode_frame(flags, options, payload):
    hl = 3 + len(options)
    head = struct.pack("<BBI", (1 << 4) | hl, flags, len(payload))
    crc = zlib.crc32(head) & 0xFFFFFFFF
    return head + struct.pack("<IBB", crc, 0, 0) + b"".join(struct.pack("<I", o) for o in options) + payload


def read_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by coyote after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def read_frame(sock):
    head = read_exact(sock, 12)
    hl = head[0] & 0x0F
    flags = head[1]
    (length,) = struct.unpack("<I", head[2:6])
    (crc,) = struct.unpack("<I", head[6:10])
    if zlib.crc32(head[:6]) & 0xFFFFFFFF != crc:
        raise ValueError("bad CRC in reply header")
    options = [struct.unpack("<I", read_exact(sock, 4))[0] for _ in range(hl - 3)]
    return flags, options, read_exact(sock, length)


def parse_address(address):
    if address.startswith("tcp://"):
        host, port = address[len("tcp://"):].rsplit(":", 1)
        return socket.AF_INET, (host, int(port))
    if address.startswith("unix://"):
        return socket.AF_UNIX, address[len("unix://"):]
    raise ValueError("unsupported address " + address)


class RpcClient:
    def __init__(self, address, timeout=30.0):
        family, target = parse_address(address)
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(target)
        self.seq = 0

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_call(self, method, body, flags=FLAG_JSON):
        self.seq += 1
        m = method.encode()
        self.sock.sendall(encode_frame(flags, [self.seq, len(m)], m + body))
        return self.seq

    def read_reply(self):
        flags, options, payload = read_frame(self.sock)
        seq, mlen = options
        return seq, flags, payload[:mlen].decode(), payload[mlen:]

    def call_raw(self, method, body, flags=FLAG_JSON):
        seq = self.send_call(method, body, flags)
        got_seq, rflags, rmethod, reply = self.read_reply()
        if got_seq != seq:
            raise AssertionError("reply seq %d != request seq %d" % (got_seq, seq))
        if rflags & FLAG_ERROR:
            raise RpcError(reply.decode(errors="replace"))
        return rflags, reply

    def call(self, method, arg):
        _, reply = self.call_raw(method, json.dumps(arg).encode())
        return json.loads(reply) if reply else None

    # jobs.* over the JSON codec (spec 4.6): payload is base64.
    @staticmethod
    def job(pipeline, name, job_id, payload=b"", headers=None, priority=0, delay=0):
        job = {"job": name, "id": job_id, "payload": base64.b64encode(payload).decode(),
               "options": {"pipeline": pipeline, "priority": priority, "delay": delay}}
        if headers:
            job["headers"] = {k: {"value": v} for k, v in headers.items()}
        return job

    def push(self, pipeline, name, job_id, payload=b"", **kw):
        return self.call("jobs.Push", {"job": self.job(pipeline, name, job_id, payload, **kw)})

    def push_batch(self, jobs):
        return self.call("jobs.PushBatch", {"jobs": jobs})

    def stat(self):
        return {s["pipeline"]: s for s in self.call("jobs.Stat", {}).get("stats", [])}

    def pause(self, *names):
        return self.call("jobs.Pause", {"pipelines": list(names)})

    def resume(self, *names):
        return self.call("jobs.Resume", {"pipelines": list(names)})

    def list(self):
        return self.call("jobs.List", {}).get("pipelines", [])

    def declare(self, options):
        return self.call("jobs.Declare", {"pipeline": options})

    def workers(self):
        return self.call("informer.Workers", "jobs").get("workers") or []
