#!/usr/bin/env python3
"""Runs a private rabbitmq-server for bench/run.sh until SIGTERM: the e2e tests' helper
(tests/e2e/lib/rabbitmq.py: free ports, own node name, temp dir, own epmd). Writes the AMQP
port to PORTFILE once the broker serves AMQP, the broker's version to PORTFILE.version and its
Erlang VM's pids to PORTFILE.pids."""
import os
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "e2e", "lib"))
import rabbitmq  # noqa: E402

port_file = sys.argv[1]
broker = rabbitmq.RabbitMQ()
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
try:
    broker.start()
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "rabbitmq-server"],
                             capture_output=True, text=True).stdout.strip()
    with open(port_file + ".version", "w") as f:
        f.write("rabbitmq-server " + (version or "?"))
    # The Erlang VM's pids, so that the bench can read the broker's CPU per job.
    beams = subprocess.run(["pgrep", "-f", "beam.smp.*" + broker.dir], capture_output=True,
                           text=True).stdout.split()
    with open(port_file + ".pids", "w") as f:
        f.write(" ".join(beams))
    with open(port_file, "w") as f:
        f.write(str(broker.port))
    stop.wait()
finally:
    broker.stop()
