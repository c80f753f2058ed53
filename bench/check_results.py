#!/usr/bin/env python3
"""Exit 0 when bench/results/results.json holds a number for every stage; non-zero otherwise.
It checks that the harness works, never how fast anything is."""
import json
import math
import sys
from pathlib import Path

path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "results" / "results.json")
doc = json.loads(path.read_text())
stages = doc["stages"]
problems = [f"{r['stage']} {r.get('label', '')}: {r['error']}" for r in stages if "error" in r]
# One number each stage must produce.
required = {"ceiling": "jobs_per_s", "drain": "jobs_per_s", "concurrent": "jobs_per_s", "push_single": "jobs_per_s",
            "push_batch": "jobs_per_s", "latency": "p99_ms", "memory": "overhead_bytes_per_job",
            "peer": "jobs_per_s", "micro": "ns_per_op",
            "amqp_drain": "jobs_per_s", "amqp_peer": "jobs_per_s", "amqp_push_single": "jobs_per_s",
            "amqp_push_batch": "jobs_per_s",
            "nats": "jobs_per_s",
            "redis": "jobs_per_s",
            "fsync_rate": "syncs_per_s", "sqlite_push_single": "jobs_per_s",
            "sqlite_push_batch": "jobs_per_s", "sqlite_drain": "jobs_per_s", "sqlite_disk": "bytes_per_job",
            "flow": "jobs_per_s", "callgrind": "instr_per_job"}
for stage, key in required.items():
    got = [r for r in stages if r["stage"] == stage and "error" not in r]
    if not got:
        problems.append(f"stage {stage} produced no result")
    for r in got:
        v = r.get(key)
        if not isinstance(v, (int, float)) or math.isnan(v):
            problems.append(f"stage {stage} {r.get('label', '')}: {key} is not a number ({v!r})")
peers = {r["label"] for r in stages if r["stage"] == "peer" and "error" not in r}
for p in ("beanstalkd", "bullmq", "gearman"):
    if p not in peers:
        problems.append(f"peer {p} produced no result")
nats = {r["label"].split(" ")[0] + (" php" if "PHP" in r["label"] else "") for r in stages
        if r["stage"] == "nats" and "error" not in r}
for n in ("coyote", "direct", "direct php"):
    if n not in nats:
        problems.append(f"nats {n} produced no result")
brokers = {r["label"] for r in stages if r["stage"] == "broker" and "error" not in r
           and isinstance(r.get("jobs_per_s"), (int, float))}
for b in ("beanstalk",):
    if b not in brokers:
        problems.append(f"broker stage {b} produced no result")
redis = {r["label"] for r in stages if r["stage"] == "redis" and "error" not in r}
for label in ("coyote", "php-redis"):
    if label not in redis:
        problems.append(f"redis stage {label} produced no result")
if problems:
    print("bench results incomplete:\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"bench results complete: {len(stages)} measurements in {path}")
