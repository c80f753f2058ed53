#!/usr/bin/env python3
"""Sample jobs worker: logs each job to stderr and acks it.

Payload conventions (JSON, all optional): {"sleep": 0.1} waits first, {"fail": true} nacks,
{"requeue": 2} requeues with a 2 s delay, {"error": "boom"} sends a soft error,
{"restart": true} asks the host to recycle this worker.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coyote_worker import Worker, log  # noqa: E402


def main():
    worker = Worker()
    while True:
        task = worker.wait_task()
        if task is None:
            return 0
        log("job %s (%s) from %s: %r" % (task.id, task.name, task.pipeline, task.payload[:200]))
        try:
            spec = json.loads(task.payload) if task.payload[:1] == b"{" else {}
        except ValueError:
            spec = {}
        if spec.get("sleep"):
            time.sleep(float(spec["sleep"]))
        if spec.get("error"):
            task.error(str(spec["error"]))
        elif spec.get("restart"):
            task.restart()
        elif spec.get("fail"):
            task.nack("failed on request")
        elif spec.get("requeue") is not None:
            task.with_delay(spec["requeue"]).with_header("attempt", "1").requeue("requeued")
        else:
            task.ack()


if __name__ == "__main__":
    sys.exit(main())
