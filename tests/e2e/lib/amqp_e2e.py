"""What the amqp end-to-end tests share: .rr.yaml building, the AMQP peer tool, small waits."""
import json
import os
import subprocess
import uuid

from harness import BINARY_DIR, RpcClient, wait_for

PEER = os.path.join(BINARY_DIR, "bin", "coyote-amqp-peer")


def tag():
    return uuid.uuid4().hex[:8]


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))  # a JSON string is a valid YAML double-quoted scalar


def emit(value, indent=0):
    """A small YAML emitter for nested dicts, lists and scalars (no PyYAML in CI)."""
    pad = " " * indent
    lines = []
    for k, v in value.items():
        if isinstance(v, dict):
            if not v:
                lines.append("%s%s: {}" % (pad, k))
            else:
                lines.append("%s%s:" % (pad, k))
                lines.append(emit(v, indent + 2))
        elif isinstance(v, list):
            lines.append("%s%s: [%s]" % (pad, k, ", ".join(_scalar(x) for x in v)))
        else:
            lines.append("%s%s: %s" % (pad, k, _scalar(v)))
    return "\n".join(lines)


def rr_yaml(amqp, pipelines, consume=(), workers=2, command="python3 @WORKER@", jobs=None,
            level="debug"):
    """A .rr.yaml: `amqp` is the global section (dict), `pipelines` name -> pipeline dict."""
    doc = {
        "version": "3",
        "rpc": {"listen": "@RPC@"},
        "server": {"command": command},
        "logs": {"level": level},
        "jobs": dict({"pool": {"num_workers": workers, "allocate_timeout": "20s",
                               "destroy_timeout": "5s"},
                      "consume": list(consume),
                      "pipelines": pipelines}, **(jobs or {})),
    }
    if amqp is not None:
        doc["amqp"] = amqp
    return emit(doc) + "\n"


def peer(*args, check=True, timeout=60):
    """Runs coyote-amqp-peer; returns its JSON output lines (parsed)."""
    r = subprocess.run([PEER] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("coyote-amqp-peer %s failed (%d): %s%s"
                             % (" ".join(map(str, args)), r.returncode, r.stdout, r.stderr))
    if not check:
        return r
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def queue_count(url, queue):
    return peer("count", "--url", url, "--queue", queue)[0]["messages"]


def contexts(node):
    return [json.loads(r["context"]) for r in node.records()]


def informer(node):
    with RpcClient(node.address) as c:
        return {s["Pipeline"]: s for s in c.call("informer.Jobs", "jobs")}


def wait_error(node, pipeline, needle, timeout=30):
    return wait_for(lambda: needle in informer(node).get(pipeline, {}).get("ErrorMessage", ""),
                    timeout=timeout,
                    what="%r in the ErrorMessage of %s (informer.Jobs: %s)\n%s"
                         % (needle, pipeline, informer(node).get(pipeline), node.log()[-2000:]))


def wait_connected(node, pipeline, timeout=30):
    """Until the pipeline reports no error (connected, declared, consuming if asked)."""
    wait_for(lambda: informer(node).get(pipeline, {}).get("ErrorMessage", "x") == "", timeout=timeout,
             what="pipeline %s connected (informer.Jobs: %s)\n%s"
                  % (pipeline, informer(node).get(pipeline), node.log()[-2000:]))
