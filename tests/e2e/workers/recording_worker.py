"""A scriptable worker for end-to-end tests, built on the example worker library.

Every job it receives is appended as one JSON line to $COYOTE_E2E_RECORD (pid, context, body,
time). What it answers is chosen by the job payload, when the payload is a JSON object:
  {"reply": "<raw response body>"}   send exactly these bytes as the response body
  {"soft_error": "text"}             send an ERROR frame
  {"crash": true}                    exit without answering
  {"crash_once_marker": "/path"}     crash if the marker file is absent (creating it), else ack
  {"sleep": seconds}                 sleep, then ack
  {"restart_me": true}               ask to be recycled (only the first time per pid+id)
otherwise it acks.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "workers"))
import coyote_worker  # noqa: E402

record_path = os.environ.get("COYOTE_E2E_RECORD")


def record(task):
    if not record_path:
        return
    line = json.dumps({"pid": os.getpid(), "context": task.context_raw.decode(),
                       "body": task.payload.decode(errors="replace"), "time": time.time()})
    with open(record_path, "a") as f:
        f.write(line + "\n")


def main():
    worker = coyote_worker.Worker()
    restarted = set()
    while True:
        task = worker.wait_task()
        if task is None:
            return
        record(task)
        try:
            script = json.loads(task.payload)
        except ValueError:
            script = None
        if not isinstance(script, dict):
            task.ack()
            continue
        if "reply" in script:
            task.respond_raw(script["reply"].encode())
        elif "soft_error" in script:
            worker.error(script["soft_error"])
        elif script.get("crash"):
            os._exit(3)
        elif "crash_once_marker" in script:
            marker = script["crash_once_marker"]
            if not os.path.exists(marker):
                open(marker, "w").close()
                os._exit(3)
            task.ack()
        elif "sleep" in script:
            time.sleep(float(script["sleep"]))
            task.ack()
        elif script.get("restart_me") and task.id not in restarted:
            restarted.add(task.id)
            worker.restart_me()
            return
        else:
            task.ack()


if __name__ == "__main__":
    main()
