"""Several test hosts on one machine: network namespaces on a bridge, set up and torn down by the test.

Topology (spec roadrunner-drivers.md 5.4): a bridge in the root namespace and one namespace per
host, each joined to the bridge by a veth pair. Names carry a per-run tag so that concurrent test
runs never collide, and every address is on a /24 chosen per run from 10.200-10.249.x.

    with Topology(["broker", "h1", "h2"]) as net:
        broker = net.popen("broker", ["nats-server", "-js", "-a", net.ip("broker")])
        net.partition("h1"); ...; net.heal("h1")

Needs root (CAP_NET_ADMIN) and iproute2. `available()` says whether this machine can run it, so
a test can skip with the reason instead of failing where namespaces are impossible.
"""
import os
import random
import shutil
import subprocess
import time


def _ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), check=check, capture_output=True, text=True)


def available():
    """(True, "") when namespaces can be made here, else (False, why)."""
    if os.geteuid() != 0:
        return False, "network namespaces need root"
    if shutil.which("ip") is None:
        return False, "iproute2 (the ip command) is not installed"
    probe = "coyote-probe-%d" % os.getpid()
    r = _ip("netns", "add", probe, check=False)
    if r.returncode != 0:
        return False, "ip netns add failed: " + r.stderr.strip()
    _ip("netns", "del", probe, check=False)
    return True, ""


class Topology:
    def __init__(self, hosts):
        self.tag = "%04x" % random.randrange(0x10000)
        self.subnet = "10.%d.%d" % (200 + random.randrange(50), random.randrange(256))
        self.bridge = "cbr" + self.tag
        self.hosts = list(hosts)
        self._ns = {h: "cy%s-%s" % (self.tag, h) for h in self.hosts}
        self._ip = {h: "%s.%d" % (self.subnet, 10 + i) for i, h in enumerate(self.hosts)}
        # veth names are limited to 15 characters: "cv" + tag + index + side.
        self._veth = {h: "cv%s%d" % (self.tag, i) for i, h in enumerate(self.hosts)}
        self._procs = []

    def ip(self, host):
        return self._ip[host]

    def namespace(self, host):
        return self._ns[host]

    def setup(self):
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
            _ip("addr", "add", self.subnet + ".1/24", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
            for h in self.hosts:
                ns, outer, inner = self._ns[h], self._veth[h] + "b", self._veth[h] + "n"
                _ip("netns", "add", ns)
                _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
                _ip("link", "set", inner, "netns", ns)
                _ip("link", "set", outer, "master", self.bridge)
                _ip("link", "set", outer, "up")
                _ip("-n", ns, "addr", "add", self._ip[h] + "/24", "dev", inner)
                _ip("-n", ns, "link", "set", inner, "up")
                _ip("-n", ns, "link", "set", "lo", "up")
        except subprocess.CalledProcessError as e:
            self.teardown()
            raise RuntimeError("network namespace setup failed: %s %s" % (e.cmd, e.stderr))
        return self

    def popen(self, host, argv, **kwargs):
        """Starts argv inside the host's namespace; the process is killed at teardown."""
        kwargs.setdefault("start_new_session", True)
        proc = subprocess.Popen(["ip", "netns", "exec", self._ns[host]] + list(argv), **kwargs)
        self._procs.append(proc)
        return proc

    def run(self, host, argv, **kwargs):
        return subprocess.run(["ip", "netns", "exec", self._ns[host]] + list(argv), **kwargs)

    def partition(self, host):
        """Cuts the host off the bridge (its processes keep running, their packets go nowhere)."""
        _ip("link", "set", self._veth[host] + "b", "down")

    def heal(self, host):
        _ip("link", "set", self._veth[host] + "b", "up")

    def teardown(self):
        for proc in self._procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, 9)
                except OSError:
                    pass
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        for h in self.hosts:
            _ip("link", "del", self._veth[h] + "b", check=False)
            _ip("netns", "del", self._ns[h], check=False)
        _ip("link", "del", self.bridge, check=False)

    def __enter__(self):
        return self.setup()

    def __exit__(self, *exc):
        self.teardown()


def wait_tcp(topology, host, address, port, timeout=30.0):
    """Waits until a TCP connect from inside `host` to address:port succeeds."""
    deadline = time.monotonic() + timeout
    probe = ("import socket,sys\ns=socket.socket();s.settimeout(0.5)\n"
             "sys.exit(0 if s.connect_ex((%r,%d))==0 else 1)" % (address, port))
    while time.monotonic() < deadline:
        if topology.run(host, ["python3", "-c", probe], capture_output=True).returncode == 0:
            return True
        time.sleep(0.2)
    raise AssertionError("nothing listens on %s:%d as seen from %s" % (address, port, host))
