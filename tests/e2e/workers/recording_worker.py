"""A scriptable worker for end-to-end tests, built on the example worker library.

Every job it receives is appended as one JSON line to $COYOTE_E2E_RECORD (pid, context, body,
time). What it answers is chosen by the job payload, when the payload is a JSON object:
  {"reply": "<raw response body>"}   send exactly these bytes as the response body
  {"once_marker": "/path", ...}      apply the script only while the marker file is absent
                                     (creating it), then ack: for scripts that redeliver
  {"soft_error": "text"}             send an ERROR frame
  {"crash": true}                    exit without answering
  {"crash_once_marker": "/path"}     crash if the marker file is absent (creating it), else ack
  {"sleep": seconds}                 sleep, then ack
  {"restart_once_marker": "/path"}   ask to be recycled if the marker file is absent (creating it)
  {"restart_always": true}           ask to be recycled on every delivery (a poison job)
  {"result": value, "progress": ["a", ...], "sleep": s}
                                     check in each progress text over RR_RPC, sleep, then ack
                                     with the result (Coyote's results extension)
otherwise it acks.

With $COYOTE_E2E_ACKS set, the id of every job it acks is appended to that file (one line)
before the ack is sent: "processed at least once" for the delivery-guarantee tests. With
$COYOTE_E2E_QUIET set, jobs are not recorded in $COYOTE_E2E_RECORD (bulk tests).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "workers"))
import coyote_worker  # noqa: E402

record_path = None if os.environ.get("COYOTE_E2E_QUIET") else os.environ.get("COYOTE_E2E_RECORD")
acks_path = os.environ.get("COYOTE_E2E_ACKS")
acks_fd = os.open(acks_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if acks_path else None


def ack(task):
    if acks_fd is not None:
        os.write(acks_fd, (task.context.get("id", "") + "\n").encode())
    task.ack()


def record(task):
    if not record_path:
        return
    line = json.dumps({"pid": os.getpid(), "context": json.dumps(task.context),
                       "body": task.payload.decode(errors="replace"), "time": time.time()})
    with open(record_path, "a") as f:
        f.write(line + "\n")


def main():
    worker = coyote_worker.Worker()
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
            ack(task)
            continue
        once = script.get("once_marker")
        if once and os.path.exists(once):
            ack(task)  # the scripted answer was given on an earlier delivery
            continue
        if once:
            open(once, "w").close()
        if "reply" in script:
            task.answered = True
            worker.respond(script["reply"].encode())
        elif "result" in script:
            for text in script.get("progress", []):
                task.progress(text)
            time.sleep(float(script.get("sleep", 0)))
            task.ack(script["result"])
        elif "soft_error" in script:
            task.error(script["soft_error"])
        elif script.get("crash"):
            os._exit(3)
        elif "crash_once_marker" in script:
            marker = script["crash_once_marker"]
            if not os.path.exists(marker):
                open(marker, "w").close()
                os._exit(3)
            ack(task)
        elif "sleep" in script:
            time.sleep(float(script["sleep"]))
            ack(task)
        elif script.get("restart_always"):
            task.restart()
        elif "restart_once_marker" in script and not os.path.exists(script["restart_once_marker"]):
            open(script["restart_once_marker"], "w").close()
            task.restart()
        else:
            ack(task)


if __name__ == "__main__":
    main()
