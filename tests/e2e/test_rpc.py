"""RPC end to end (spec 4, 8 cases 16-19): the real binary, a PHP client, the coyote CLI, and
wire-level abuse (malformed and oversized frames, disconnects, many connections)."""
import json
import os
import socket
import subprocess
import threading
import unittest

from goridge_rpc import FLAG_ERROR, FLAG_JSON, RpcClient, RpcError, encode_frame, read_frame
from harness import BASIC_YAML, Coyote, SOURCE_DIR, run_cli, wait_for

PHP_CLIENT = os.path.join(SOURCE_DIR, "tests", "e2e", "php", "rpc_client.php")


def php(address, *args):
    proc = subprocess.run(["php", PHP_CLIENT, "--address", address] + list(args),
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    out = proc.stdout.decode().strip().splitlines()
    if not out:
        raise AssertionError("php client printed nothing; stderr: " + proc.stderr.decode())
    return json.loads(out[-1])


class RpcEndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        yaml = BASIC_YAML.format(workers=2) + """
    idle:
      driver: memory
      config:
        priority: 5
"""
        cls.coyote = Coyote(yaml).start()

    @classmethod
    def tearDownClass(cls):
        cls.coyote.stop()
        cls.coyote.log_file.close()

    def test_case16_php_client_pushes_pauses_and_resumes(self):
        addr = self.coyote.address
        pushed = php(addr, "push", "p", "App\\Job", "hi-from-php", "php-1")
        self.assertTrue(pushed["ok"], pushed)
        wait_for(lambda: any(json.loads(r["context"])["id"] == "php-1" for r in self.coyote.records()),
                 what="the PHP-pushed job to reach a worker")
        rec = next(r for r in self.coyote.records() if json.loads(r["context"])["id"] == "php-1")
        self.assertEqual(rec["body"], "hi-from-php")

        self.assertTrue(php(addr, "pause", "p")["ok"])
        stat = {s["pipeline"]: s for s in php(addr, "stat")["result"]}
        self.assertFalse(stat["p"]["ready"], "paused pipeline reports ready=false (Queue::isPaused)")
        self.assertTrue(php(addr, "resume", "p")["ok"])
        stat = {s["pipeline"]: s for s in php(addr, "stat")["result"]}
        self.assertTrue(stat["p"]["ready"])

        err = php(addr, "push", "missing", "App\\Job", "x")
        self.assertFalse(err["ok"])
        self.assertIn("no such pipeline", err["error"])

    def test_case17_declare_list_resume_and_declare_twice(self):
        addr = self.coyote.address
        self.assertTrue(php(addr, "declare", "dyn", "memory", "priority=10", "prefetch=10")["ok"])
        self.assertIn("dyn", php(addr, "list")["result"])
        stat = {s["pipeline"]: s for s in php(addr, "stat")["result"]}
        self.assertFalse(stat["dyn"].get("ready", False))
        self.assertTrue(php(addr, "resume", "dyn")["ok"])
        stat = {s["pipeline"]: s for s in php(addr, "stat")["result"]}
        self.assertTrue(stat["dyn"]["ready"])
        again = php(addr, "declare", "dyn", "memory")
        self.assertFalse(again["ok"])
        self.assertIn("already exists", again["error"])
        destroyed = php(addr, "destroy", "dyn")
        self.assertEqual(destroyed["result"], ["dyn"])
        self.assertNotIn("dyn", php(addr, "list")["result"])

    def test_case18_unknown_method_is_an_error_reply_and_the_connection_stays_usable(self):
        with self.coyote.rpc() as client:
            seq = client.send_call("jobs.Nope", b"{}")
            got, flags, method, text = client.read_reply()
            self.assertEqual(got, seq)
            self.assertEqual(flags, FLAG_JSON | FLAG_ERROR)
            self.assertEqual(method, "jobs.Nope")
            self.assertIn("can't find method", text.decode())
            self.assertIn("p", client.list())

    def test_case19_informer_workers_has_php_shaped_entries(self):
        with self.coyote.rpc() as client:
            workers = wait_for(lambda: (w := client.workers()) and len(w) == 2 and w,
                               what="two workers in informer.Workers")
        for w in workers:
            for key in ("pid", "status", "numExecs", "created", "memoryUsage", "CPUPercent",
                        "command", "statusStr"):
                self.assertIn(key, w)
            self.assertGreater(w["pid"], 0)
        php_workers = php(self.coyote.address, "workers")
        self.assertTrue(php_workers["ok"], php_workers)

    def test_cli_push_list_stat_pause_resume_as_json(self):
        rpc = ["--rpc", self.coyote.address, "--json"]
        code, out, err = run_cli("jobs", "push", "p", "Cli\\Job", "--payload", "from-cli",
                                 "--id", "cli-1", "--header", "k=v", *rpc)
        self.assertEqual(code, 0, err)
        rec = wait_for(lambda: next((r for r in self.coyote.records()
                                     if json.loads(r["context"])["id"] == "cli-1"), None),
                       what="the CLI-pushed job at a worker")
        headers = json.loads(rec["context"])["headers"]
        headers.pop("Traceparent", None)  # added to a job pushed without one
        self.assertEqual(headers, {"k": ["v"]})
        self.assertEqual(rec["body"], "from-cli")

        code, out, err = run_cli("jobs", "list", *rpc)
        self.assertEqual(code, 0, err)
        self.assertIn("idle", json.loads(out) if out.strip().startswith("[") else out)
        code, out, err = run_cli("jobs", "pause", "idle", *rpc)
        self.assertNotEqual(code, 0, "pausing a pipeline that is not consuming is an error")
        self.assertIn("nothing to pause", err)
        code, out, err = run_cli("jobs", "resume", "idle", *rpc)
        self.assertEqual(code, 0, err)
        code, out, err = run_cli("jobs", "stat", *rpc)
        self.assertEqual(code, 0, err)
        self.assertIn("idle", out)
        code, out, err = run_cli("jobs", "pause", "idle", *rpc)
        self.assertEqual(code, 0, err)

    def test_cli_cannot_connect_exits_3_with_a_hint(self):
        code, _, err = run_cli("jobs", "list", "--rpc", "tcp://127.0.0.1:1")
        self.assertEqual(code, 3)
        self.assertIn("tcp://127.0.0.1:1", err)

    def test_malformed_header_closes_only_that_connection(self):
        bad = socket.create_connection(("127.0.0.1", self.coyote.port), timeout=5)
        good = self.coyote.rpc()
        try:
            bad.sendall(b"this is not a goridge frame at all")
            self.assertEqual(bad.recv(100), b"", "the server closes a connection with a bad header")
            self.assertIn("p", good.list())
        finally:
            bad.close()
            good.close()

    def test_oversized_frame_is_refused_before_buffering(self):
        s = socket.create_connection(("127.0.0.1", self.coyote.port), timeout=5)
        try:
            method = b"jobs.Push"
            header = bytearray(encode_frame(FLAG_JSON, [1, len(method)], b""))
            # Claim a 3 GiB payload, then fix the CRC over bytes 0..5.
            import struct
            import zlib
            header[2:6] = struct.pack("<I", 3 * 1024 ** 3)
            header[6:10] = struct.pack("<I", zlib.crc32(bytes(header[:6])) & 0xFFFFFFFF)
            s.sendall(bytes(header) + method)
            self.assertEqual(s.recv(100), b"")
        finally:
            s.close()
        with self.coyote.rpc() as client:
            self.assertIn("p", client.list())

    def test_abrupt_disconnect_mid_frame_leaves_the_server_healthy(self):
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", self.coyote.port), timeout=5)
            frame = encode_frame(FLAG_JSON, [1, 9], b"jobs.List{}")
            s.sendall(frame[: len(frame) // 2])
            s.close()
        with self.coyote.rpc() as client:
            self.assertIn("p", client.list())

    def test_hundred_concurrent_connections_each_get_their_own_replies(self):
        errors = []

        def one(i):
            try:
                with self.coyote.rpc() as c:
                    for j in range(5):
                        c.push("idle", "t", "conc-%d-%d" % (i, j), b"x")
                    names = c.list()
                    if "idle" not in names:
                        errors.append("connection %d saw %r" % (i, names))
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                errors.append("connection %d: %r" % (i, e))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])


class UnixSocketTest(unittest.TestCase):
    def test_unix_socket_listener_with_mode_0600(self):
        yaml = BASIC_YAML.format(workers=1).replace("@RPC@", "unix://@DIR@/rr.sock")
        coyote = Coyote(yaml)
        coyote.start(wait_rpc=False)
        try:
            sock_path = os.path.join(coyote.dir, "rr.sock")
            wait_for(lambda: os.path.exists(sock_path), what="the unix socket file")
            self.assertEqual(os.stat(sock_path).st_mode & 0o777, 0o600)
            client = wait_for(lambda: _try_connect("unix://" + sock_path), what="a unix connection")
            with client:
                self.assertIn("p", client.list())
        finally:
            self.assertEqual(coyote.stop(), 0, coyote.log()[-2000:])
            coyote.log_file.close()
        self.assertFalse(os.path.exists(sock_path), "the socket file is removed on stop")


def _try_connect(address):
    try:
        return RpcClient(address)
    except OSError:
        return None


if __name__ == "__main__":
    unittest.main()
