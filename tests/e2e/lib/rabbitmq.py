"""A private rabbitmq-server for one test file, started and stopped by the test itself.

    broker = RabbitMQ().start()      # the first start of a node takes 10-25 s on a busy 2-core VM
    broker.url()                     # amqp://guest:guest@127.0.0.1:<port>/
    broker.kill(); broker.start()    # kill -9, then start again: same ports, node name and data
    broker.stop()                    # SIGTERM, then SIGKILL; removes the temporary directory

    RabbitMQ(topology=net, host="broker")   # inside a netns.Topology host, on its address
    RabbitMQ(tls=True)               # also a TLS listener (tls_url()), with a throwaway CA and
                                     # client certificate in broker.certs (made with openssl)

Everything is private to the instance, so several test runs (and other sessions' brokers) can run
at once: free ports for AMQP, Erlang distribution and epmd (RABBITMQ_NODE_PORT,
RABBITMQ_DIST_PORT, ERL_EPMD_PORT), a unique RABBITMQ_NODENAME, and HOME, the mnesia and log
directories, the config and enabled-plugins files under one tempfile.mkdtemp() directory (HOME
there keeps the Erlang cookie private). epmd is our own foreground process on our own port, so
nothing outlives the test. The broker runs in the foreground as a subprocess in its own process
group; stop() and kill() signal that group by its pid. Readiness is an AMQP protocol handshake
(the broker answers our protocol header with connection.start), bounded by a timeout.

The same shape fits the other brokers' helpers (nats-server, beanstalkd, redis-server): free
ports, one temporary directory, Popen(start_new_session=True), a protocol-level readiness probe
with a timeout, stop by pid in a finally/tearDown, log() for assertion messages.
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"  # the real script; /usr/sbin's wrapper su's
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def available():
    """(True, "") when rabbitmq-server can be run here, else (False, why)."""
    for path in (SERVER, shutil.which("epmd")):
        if not path or not os.path.exists(path):
            return False, "rabbitmq-server is not installed (scripts/install-deps.sh installs it)"
    return True, ""


class RabbitMQ:
    def __init__(self, topology=None, host=None, keep_dir=False, tls=False):
        self.topology, self.host = topology, host
        self.ip = topology.ip(host) if topology else "127.0.0.1"
        self.dir = tempfile.mkdtemp(prefix="coyote-rabbitmq-")
        self.keep_dir = keep_dir
        # Ports are picked in the root namespace; inside a fresh namespace every port is free.
        self.port = free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.node = "coyote%06x@localhost" % random.randrange(1 << 24)
        self.proc = None
        self.epmd = None
        self.starts = 0
        home = os.path.join(self.dir, "home")
        for d in ("home", "mnesia", "log"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        self.tls_port = free_port() if tls else None
        self.certs = self._make_certs() if tls else {}
        self.config_file = os.path.join(self.dir, "rabbitmq.conf")
        with open(self.config_file, "w") as f:
            f.write("listeners.tcp.default = %s:%d\n" % (self.ip, self.port))
            if tls:
                f.write("listeners.ssl.default = %s:%d\n" % (self.ip, self.tls_port))
                f.write("ssl_options.cacertfile = %s\n" % self.certs["ca"])
                f.write("ssl_options.certfile = %s\n" % self.certs["server_cert"])
                f.write("ssl_options.keyfile = %s\n" % self.certs["server_key"])
                f.write("ssl_options.verify = verify_peer\n")
                f.write("ssl_options.fail_if_no_peer_cert = true\n")
            # guest may connect from other hosts (the netns tests reach the broker over a bridge).
            f.write("loopback_users = none\n")
            f.write("log.file.level = info\n")
        self.plugins_file = os.path.join(self.dir, "enabled_plugins")
        with open(self.plugins_file, "w") as f:
            f.write("[].\n")
        self.env = dict(
            os.environ,
            HOME=home,
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS=self.ip,
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            ERL_EPMD_PORT=str(self.epmd_port),
            RABBITMQ_MNESIA_BASE=os.path.join(self.dir, "mnesia"),
            RABBITMQ_LOG_BASE=os.path.join(self.dir, "log"),
            RABBITMQ_CONFIG_FILE=self.config_file,
            RABBITMQ_ADVANCED_CONFIG_FILE=os.path.join(self.dir, "advanced.config"),
            RABBITMQ_CONF_ENV_FILE=os.path.join(self.dir, "rabbitmq-env.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=self.plugins_file,
            RABBITMQ_PID_FILE=os.path.join(self.dir, "rabbitmq.pid"),
        )
        self.out_path = os.path.join(self.dir, "server.out")

    def _make_certs(self):
        """A CA, a server certificate for our address and a client certificate, 2 days valid."""
        d = os.path.join(self.dir, "certs")
        os.makedirs(d)
        p = lambda name: os.path.join(d, name)  # noqa: E731

        def run(*argv):
            subprocess.run(["openssl"] + list(argv), check=True, capture_output=True, cwd=d)

        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=coyote-test-ca", "-keyout", p("ca.key"), "-out", p("ca.pem"))
        for who, subject, ext in (("server", "/CN=" + self.ip, "subjectAltName=IP:" + self.ip),
                                  ("client", "/CN=coyote-client", "extendedKeyUsage=clientAuth")):
            with open(p(who + ".ext"), "w") as f:
                f.write(ext + "\n")
            run("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout",
                p(who + ".key"), "-out", p(who + ".csr"))
            run("x509", "-req", "-in", p(who + ".csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
                "-CAcreateserial", "-days", "2", "-extfile", p(who + ".ext"), "-out",
                p(who + ".pem"))
        return {"ca": p("ca.pem"), "server_cert": p("server.pem"), "server_key": p("server.key"),
                "client_cert": p("client.pem"), "client_key": p("client.key")}

    # -- process control -------------------------------------------------------------------
    def _popen(self, argv, out):
        options = dict(env=self.env, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=out,
                       stderr=subprocess.STDOUT, start_new_session=True)
        if self.topology is not None:
            return self.topology.popen(self.host, argv, **options)
        return subprocess.Popen(argv, **options)

    def start(self, timeout=180):
        """Starts (or restarts, after kill()) the node and waits until it serves AMQP."""
        if self.epmd is None or self.epmd.poll() is not None:
            self.epmd_log = open(os.path.join(self.dir, "epmd.out"), "ab")
            self.epmd = self._popen(["epmd", "-port", str(self.epmd_port)], self.epmd_log)
        self.out = open(self.out_path, "ab")
        self.proc = self._popen([SERVER], self.out)
        self.starts += 1
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("rabbitmq-server exited with %s:\n%s" % (self.proc.returncode, self.log()))
            if self._handshake():
                return
            time.sleep(0.2)
        raise AssertionError("rabbitmq-server did not serve AMQP on %s:%d within %ss:\n%s"
                             % (self.ip, self.port, timeout, self.log()))

    def _handshake(self):
        try:
            with socket.create_connection((self.ip, self.port), timeout=1) as s:
                s.sendall(b"AMQP\x00\x00\x09\x01")
                s.settimeout(2)
                head = s.recv(7)
                return len(head) == 7 and head[0] == 1  # a method frame: connection.start
        except OSError:
            return False

    def kill(self):
        """kill -9 of the broker (its whole process group); epmd stays up."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self._close_out()

    def stop(self):
        try:
            if self.proc is not None and self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=30)
        except ProcessLookupError:
            pass
        finally:
            self._close_out()
            if self.epmd is not None and self.epmd.poll() is None:
                self.epmd.kill()
                self.epmd.wait(timeout=10)
            if getattr(self, "epmd_log", None):
                self.epmd_log.close()
            if not self.keep_dir:
                shutil.rmtree(self.dir, ignore_errors=True)

    def _close_out(self):
        if getattr(self, "out", None) and not self.out.closed:
            self.out.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- use ------------------------------------------------------------------------------
    def url(self, user="guest", password="guest", vhost=""):
        return "amqp://%s:%s@%s:%d/%s" % (user, password, self.ip, self.port, vhost)

    def tls_url(self, user="guest", password="guest"):
        return "amqps://%s:%s@%s:%d/" % (user, password, self.ip, self.tls_port)

    def log(self, tail=4000):
        text = ""
        for path in (self.out_path, os.path.join(self.dir, "log", self.node + ".log")):
            try:
                with open(path, "rb") as f:
                    text += f.read().decode(errors="replace")[-tail:]
            except OSError:
                pass
        return text

    def ctl(self, *args, timeout=60):
        """rabbitmqctl against this node (slow: it starts an Erlang VM each time)."""
        argv = [CTL, "-n", self.node] + list(args)
        if self.topology is not None:
            argv = ["ip", "netns", "exec", self.topology.namespace(self.host)] + argv
        r = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise AssertionError("rabbitmqctl %s failed: %s%s" % (" ".join(args), r.stdout, r.stderr))
        return r.stdout
