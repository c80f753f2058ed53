"""What the redis driver's end-to-end tests share: the .rr.yaml they run and a Coyote that counts acks."""
import json
import os
import signal
import sys

from harness import Coyote, wait_for

PHP_WORKER = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "workers", "worker.php")


def yaml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(v)


def redis_yaml(redis, pipelines, workers=2, command="python3 @WORKER@", consume=None, extra="",
               log_level="info", drain="10s", rpc="@RPC@"):
    """`redis`: a dict of the redis: section (addr at least). `pipelines`: name -> dict of config
    keys, plus optional "_top" (a dict of keys directly under the pipeline: priority, retry...)."""
    lines = ['version: "3"', "rpc:", "  listen: %s" % rpc, "server:", '  command: "%s"' % command,
             "logs:", "  level: %s" % log_level, "redis:"]
    for k, v in redis.items():
        lines.append("  %s: %s" % (k, yaml_value(v)))
    lines += ["jobs:", "  drain_timeout: %s" % drain, "  pool:", "    num_workers: %d" % workers,
              "    allocate_timeout: 20s", "    destroy_timeout: 5s"]
    names = list(pipelines) if consume is None else consume
    lines.append("  consume: [%s]" % ", ".join(json.dumps(n) for n in names))
    lines.append("  pipelines:")
    for name, keys in pipelines.items():
        keys = dict(keys)
        top = keys.pop("_top", {})
        lines.append("    %s:" % name)
        lines.append("      driver: %s" % keys.pop("_driver", "redis"))
        for k, v in top.items():
            if isinstance(v, dict):
                lines.append("      %s:" % k)
                for k2, v2 in v.items():
                    lines.append("        %s: %s" % (k2, yaml_value(v2)))
            else:
                lines.append("      %s: %s" % (k, yaml_value(v)))
        lines.append("      config:")
        if not keys:
            lines[-1] = "      config: {}"
        for k, v in keys.items():
            lines.append("        %s: %s" % (k, yaml_value(v)))
    return "\n".join(lines) + "\n" + extra


def ctx(record):
    """The job's context without the trace context Coyote adds to a job pushed without one
    (test_observability checks that header)."""
    context = json.loads(record["context"])
    context.get("headers", {}).pop("Traceparent", None)
    return context


def report(**figures):
    sys.stderr.write("redis: " + ", ".join("%s=%s" % kv for kv in figures.items()) + "\n")


class Node(Coyote):
    """A Coyote whose workers append the id of every job they ack to a file."""

    def __init__(self, yaml_text, quiet=False, **kw):
        env = dict(kw.pop("extra_env", {}) or {})
        if quiet:
            env["COYOTE_E2E_QUIET"] = "1"
        super().__init__(yaml_text, extra_env=env, **kw)
        self.acks_path = os.path.join(self.dir, "acks.txt")
        self.env["COYOTE_E2E_ACKS"] = self.acks_path

    def acked(self):
        try:
            with open(self.acks_path) as f:
                return [line.strip() for line in f if line.strip()]
        except OSError:
            return []

    def deliveries(self, job_id):
        return [r for r in self.records() if ctx(r)["id"] == job_id]

    def wait_acked(self, ids, timeout=30):
        want = set(ids)
        return wait_for(lambda: want <= set(self.acked()), timeout=timeout,
                        what="%d acks (have %d; log:\n%s)" % (len(want), len(set(self.acked()) & want),
                                                              self.log()[-3000:]))

    def stat(self, pipeline):
        """jobs.Stat's entry for `pipeline`, plus "error": the driver's State.error, which RR's
        wire format leaves out of jobs.Stat and informer.Jobs carries as ErrorMessage."""
        with self.rpc() as client:
            stat = client.stat().get(pipeline, {})
            for state in client.call("informer.Jobs", "jobs") or []:
                if state.get("Pipeline") == pipeline and state.get("ErrorMessage"):
                    stat["error"] = state["ErrorMessage"]
            return stat


def kill_group(node):
    """kill -9 the coyote process and its workers (one process group), like a machine dying."""
    os.killpg(node.proc.pid, signal.SIGKILL)
    node.proc.wait(timeout=10)


def stream_state(redis, stream, group):
    """(XLEN, pending in the group, ZCARD of the delayed set)."""
    from redis_server import RedisError, pairs
    with redis.client() as c:
        xlen = c.call("XLEN", stream)
        try:
            groups = [pairs(g) for g in c.call("XINFO", "GROUPS", stream)]
        except RedisError:
            groups = []
        pending = next((g["pending"] for g in groups if g["name"] == group), 0)
        return xlen, pending, c.call("ZCARD", stream + ":delayed")
