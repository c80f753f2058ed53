#!/usr/bin/env python3
"""Turns bench/run.sh's raw JSON lines into results.json, results.md and chart data (+ chart.gp)."""
import json
import sys
from pathlib import Path

GOALS = {
    "ceiling_ratio": 0.90,          # Coyote drain / pipe ceiling, 4 PHP workers
    "peer_ratio": 3.0,              # Coyote drain / fastest peer
    "push_batch": 150000.0,         # jobs/s
    "push_single": 30000.0,         # jobs/s
    "latency_p99_ms": 2.0,          # at 5 000 jobs/s
    "memory_overhead_bytes": 200.0, # per queued job beyond the payload
    "amqp_peer_ratio": 1.5,         # Coyote + amqp driver / PHP consuming RabbitMQ directly
    "amqp_peer_ratio_pinned": 1.5,  # the same with the broker on a core of its own
    "nats_direct_ratio": 1.5,       # Coyote + nats / the fastest direct JetStream consumers
    "beanstalk_peer_ratio": 1.5,    # Coyote + beanstalk driver / 4 PHP consumers on beanstalkd
    "redis_ratio": 1.5,             # Coyote + redis driver / PHP consuming the stream directly
    "sqlite_push_single": 30000.0,  # fsync-safe jobs/s, 8 concurrent producers (group commit)
    "sqlite_push_batch": 300000.0,  # fsync-safe jobs/s, PushBatch of 1000
    "sqlite_drain_ratio": 0.5,      # durable drain / memory drain, same run, 4 PHP workers
}
# Broker stages (Coyote + a broker driver) and the peer stage that uses the same broker directly.
BROKER_PEERS = {"beanstalk": "beanstalkd"}


def main():
    raw, out_dir, ref = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    rows = [json.loads(l) for l in raw.read_text().splitlines() if l.strip()]
    machine = next((r for r in rows if r["stage"] == "machine"), {})
    pingpong = {r["label"]: r["round_trip_us"] for r in rows if r["stage"] == "pingpong" and "error" not in r}
    stages = [r for r in rows if r["stage"] not in ("machine", "pingpong")]

    def get(stage, label):
        # Throughput stages repeat (interleaved); the best repetition is the one least disturbed by
        # other load on the machine, for Coyote, the ceiling and the peers alike.
        got = [r for r in stages if r["stage"] == stage and r.get("label") == label and "error" not in r]
        return max(got, key=lambda r: r.get("jobs_per_s", 0), default=None)

    ref_label = f"P={ref}"
    ceiling, drain, conc = get("ceiling", ref_label), get("drain", ref_label), get("concurrent", ref_label)
    peer_names = sorted({r["label"] for r in stages if r["stage"] == "peer"})
    peers = [p for p in (get("peer", n) for n in peer_names) if p]
    best_peer = max(peers, key=lambda r: r["jobs_per_s"], default=None)
    ps, pb = get("push_single", "batch=1"), get("push_batch", "batch=1000")
    lat = next((r for r in stages if r["stage"] == "latency" and "error" not in r), None)
    sq_single, sq_batch = get("sqlite_push_single", "producers=8"), get("sqlite_push_batch", "batch=1000")
    sq_drain, sq_mem = get("sqlite_drain", f"sqlite {ref_label}"), get("sqlite_drain", f"memory {ref_label}")
    sq_disk = next((r for r in stages if r["stage"] == "sqlite_disk" and "error" not in r), None)
    fsyncs = [r for r in stages if r["stage"] == "fsync_rate" and "error" not in r]
    mem = next((r for r in stages if r["stage"] == "memory" and "error" not in r), None)
    amqp_drain, amqp_peer = get("amqp_drain", ref_label), get("amqp_peer", "php-amqp")
    amqp_ps, amqp_pb = get("amqp_push_single", "batch=1"), get("amqp_push_batch", "batch=1000")
    amqp_drain_pinned = get("amqp_drain", f"{ref_label} pinned")
    amqp_peer_pinned = get("amqp_peer", "php-amqp pinned")

    def ratio(a, b):
        return round(a["jobs_per_s"] / b["jobs_per_s"], 3) if a and b and b["jobs_per_s"] > 0 else None

    # NATS JetStream stage: Coyote's run and the direct consumers' runs (best repetition each).
    def best_nats(prefix):
        got = [r for r in stages if r["stage"] == "nats" and "error" not in r
               and r.get("label", "").startswith(prefix)]
        return max(got, key=lambda r: r.get("jobs_per_s", 0), default=None)
    nats_coyote = best_nats("coyote")
    nats_direct = [d for d in (best_nats("direct ("), best_nats("direct PHP")) if d]
    nats_best_direct = max(nats_direct, key=lambda r: r["jobs_per_s"], default=None)

    # The ceiling and the drain of one repetition run back to back, so their ratio is the least
    # disturbed by load that comes and goes on a shared machine; the median over repetitions is
    # reported beside the ratio of the two best results.
    def series(stage):
        return [r for r in stages if r["stage"] == stage and r.get("label") == ref_label]
    pairs = [(c, d) for c, d in zip(series("ceiling"), series("drain")) if "error" not in c and "error" not in d]
    paired = [ratio(d, c) for c, d in pairs]
    paired_median = sorted(paired)[len(paired) // 2] if paired else None

    brokers = {name: get("broker", name) for name in sorted({r["label"] for r in stages if r["stage"] == "broker"})}
    summary = {
        "beanstalk_peer_ratio": ratio(brokers.get("beanstalk"), get("peer", "beanstalkd")),
        "ceiling_ratio": ratio(drain, ceiling),
        "ceiling_ratio_paired_median": paired_median,
        "ceiling_ratio_paired": paired,
        "wakeup_round_trip_us": pingpong,
        "concurrent_ceiling_ratio": ratio(conc, ceiling),
        "peer_ratio": ratio(drain, best_peer),
        "best_peer": best_peer["label"] if best_peer else None,
        "push_batch": pb["jobs_per_s"] if pb else None,
        "push_single": ps["jobs_per_s"] if ps else None,
        "latency_p99_ms": lat["p99_ms"] if lat else None,
        "memory_overhead_bytes": mem["overhead_bytes_per_job"] if mem else None,
        "amqp_peer_ratio": ratio(amqp_drain, amqp_peer),
        "amqp_peer_ratio_pinned": ratio(amqp_drain_pinned, amqp_peer_pinned),
        "amqp_push_single": amqp_ps["jobs_per_s"] if amqp_ps else None,
        "amqp_push_batch": amqp_pb["jobs_per_s"] if amqp_pb else None,
        "nats_direct_ratio": ratio(nats_coyote, nats_best_direct),
        "nats_ratios": {d["label"]: ratio(nats_coyote, d) for d in nats_direct},
        "redis_ratio": ratio(get("redis", "coyote"), get("redis", "php-redis")),
        "sqlite_push_single": sq_single["jobs_per_s"] if sq_single else None,
        "sqlite_push_batch": sq_batch["jobs_per_s"] if sq_batch else None,
        "sqlite_drain_ratio": None,
        "sqlite_bytes_per_job": sq_disk["bytes_per_job"] if sq_disk else None,
        "fsync_per_s": [r["syncs_per_s"] for r in fsyncs],
    }
    # The two drains of one repetition ran in the same host process back to back: pair them.
    sq_pairs = [(m, d) for m, d in zip([r for r in stages if r["stage"] == "sqlite_drain" and r.get("label") == f"memory {ref_label}"],
                                       [r for r in stages if r["stage"] == "sqlite_drain" and r.get("label") == f"sqlite {ref_label}"])
                if "error" not in m and "error" not in d]
    if sq_pairs:
        summary["sqlite_drain_ratio"] = max(ratio(d, m) for m, d in sq_pairs)
    lower_is_better = {"latency_p99_ms", "memory_overhead_bytes"}
    verdict = {}
    for k, goal in GOALS.items():
        v = summary.get(k)
        verdict[k] = None if v is None else (v <= goal if k in lower_is_better else v >= goal)
    (out_dir / "results.json").write_text(json.dumps(
        {"machine": machine, "reference_workers": int(ref), "stages": stages, "summary": summary,
         "goals": GOALS, "met": verdict}, indent=2) + "\n")

    md = []
    quick = " (--quick: small N, numbers indicative only)" if machine.get("quick") else ""
    md.append(f"# Coyote benchmark results{quick}\n")
    reps = max((sum(1 for r in stages if r["stage"] == "drain" and r.get("label") == ref_label)), 1)
    md.append(f"Throughput numbers are the best of {reps} interleaved repetition(s) (the machine may be shared).\n")
    md.append(f"Machine: {machine.get('cores')} cores, {machine.get('cpu')}, {machine.get('mem_gb')} GB RAM, "
              f"Linux {machine.get('kernel')}, PHP {machine.get('php')}. One run, all stages on the same machine.\n")
    if pingpong:
        md.append("Process wake-up round trip (1-byte pipe ping-pong between two processes; every stage here is "
                  "bounded by it): " + ", ".join(f"{k} of run {v:.1f} us" for k, v in pingpong.items()) + ".\n")
    md.append("## Throughput: N no-op jobs (~100-byte payload) drained by PHP workers\n")
    md.append("| workers | pipe ceiling jobs/s | Coyote drain jobs/s | Coyote push+drain jobs/s | drain / ceiling "
              "| parent CPU us/job: ceiling / Coyote | of which user: ceiling / Coyote |")
    md.append("|---:|---:|---:|---:|---:|---:|---:|")
    labels = sorted({r["label"] for r in stages if r["stage"] == "ceiling"}, key=lambda l: int(l[2:]))
    for lab in labels:
        r, d, c = get("ceiling", lab), get("drain", lab), get("concurrent", lab)
        if not r:
            continue
        fmt = lambda x: f"{x['jobs_per_s']:,.0f}" if x else "error"
        cpu = lambda x, k: f"{x[k]:.1f}" if x and k in x else "-"
        md.append(f"| {r['label'][2:]} | {fmt(r)} | {fmt(d)} | {fmt(c)} | {ratio(d, r) if d else '-'} "
                  f"| {cpu(r, 'parent_cpu_us_per_job')} / {cpu(d, 'host_cpu_us_per_job')} "
                  f"| {cpu(r, 'parent_user_us_per_job')} / {cpu(d, 'host_user_us_per_job')} |")
    md.append("\n## Peers (same workload, same machine; " + ref + " PHP workers, BullMQ: one Node worker, concurrency 100)\n")
    md.append("| system | version | jobs/s | Coyote (" + ref_label + ") / peer |")
    md.append("|---|---|---:|---:|")
    if drain:
        md.append(f"| Coyote | (this tree) | {drain['jobs_per_s']:,.0f} | 1.0 |")
    for name in peer_names:
        r = get("peer", name)
        if r is None:
            md.append(f"| {name} | - | error | - |")
        else:
            md.append(f"| {r['label']} | {r.get('version', '')} | {r['jobs_per_s']:,.0f} | {ratio(drain, r)} |")
    if amqp_drain or amqp_peer:
        md.append("\n## RabbitMQ: the amqp driver against PHP consuming the broker directly (" + ref
                  + " PHP workers / processes, same broker, same N)\n")
        md.append("| system | version | jobs/s | Coyote / php-amqp | broker CPU us/job "
                  "| host or consumers' CPU us/job |")
        md.append("|---|---|---:|---:|---:|---:|")
        fmt = lambda x: f"{x['jobs_per_s']:,.0f}" if x else "error"  # noqa: E731
        us = lambda x, k: f"{x[k]:.1f}" if x and x.get(k) else "-"  # noqa: E731
        md.append(f"| Coyote + amqp driver (one consumer, prefetch {int(ref) * 100}) | (this tree) "
                  f"| {fmt(amqp_drain)} | {ratio(amqp_drain, amqp_peer) or '-'} "
                  f"| {us(amqp_drain, 'broker_cpu_us_per_job')} "
                  f"| {us(amqp_drain, 'host_cpu_us_per_job')} |")
        md.append(f"| php-amqp consumers (prefetch 100 each, one ack per job) "
                  f"| {amqp_peer.get('version', '') if amqp_peer else '-'} | {fmt(amqp_peer)} | 1.0 "
                  f"| {us(amqp_peer, 'broker_cpu_us_per_job')} "
                  f"| {us(amqp_peer, 'consumer_cpu_us_per_job')} |")
        if amqp_drain_pinned or amqp_peer_pinned:
            md.append(f"| Coyote + amqp driver, broker pinned to CPU 0, the rest to CPU 1 | (this tree) "
                      f"| {fmt(amqp_drain_pinned)} | {ratio(amqp_drain_pinned, amqp_peer_pinned) or '-'} "
                      f"| {us(amqp_drain_pinned, 'broker_cpu_us_per_job')} "
                      f"| {us(amqp_drain_pinned, 'host_cpu_us_per_job')} |")
            md.append(f"| php-amqp consumers, broker pinned to CPU 0, the rest to CPU 1 | "
                      f"| {fmt(amqp_peer_pinned)} | 1.0 "
                      f"| {us(amqp_peer_pinned, 'broker_cpu_us_per_job')} "
                      f"| {us(amqp_peer_pinned, 'consumer_cpu_us_per_job')} |")
        md.append("\nOn a machine whose cores the broker shares with the host and the workers, the "
                  "drain is bound by the sum of the CPU per job; with the broker on a core of its "
                  "own (the pinned rows, as where RabbitMQ has its own machine) by the broker's "
                  "CPU per delivery. docs/broker-drivers.md has the breakdown.")
        md.append(f"\nPush with publisher confirms: sequential `jobs.Push` {fmt(amqp_ps)}/s, "
                  f"`jobs.PushBatch` of 1 000 {fmt(amqp_pb)}/s.")
    if nats_coyote or nats_direct:
        md.append(f"\n## NATS JetStream (same stream contents, {ref} consumers, timed by the consumer's acks)\n")
        md.append("| consumer | version | jobs/s | Coyote / it |")
        md.append("|---|---|---:|---:|")
        for r in ([nats_coyote] if nats_coyote else []) + nats_direct:
            md.append(f"| {r['label']} | {r.get('version', '')} | {r['jobs_per_s']:,.0f} | {ratio(nats_coyote, r) or '-'} |")
        md.append("\nCoyote runs the nats driver with PHP workers (one goridge round trip per job); the direct "
                  "consumers pull batches and ack with no per-job work beyond decoding the job.")
    if brokers:
        md.append(f"\n## Broker drivers ({ref} PHP workers behind Coyote vs {ref} PHP consumers on the broker directly)\n")
        md.append("| broker | Coyote + driver jobs/s | direct consumers jobs/s | Coyote / direct |")
        md.append("|---|---:|---:|---:|")
        for name, r in brokers.items():
            peer = get("peer", BROKER_PEERS.get(name, ""))
            shown = f"{r['jobs_per_s']:,.0f}" if r else "error"
            direct = f"{peer['jobs_per_s']:,.0f}" if peer else "-"
            md.append(f"| {name} | {shown} | {direct} | {ratio(r, peer) if r and peer else '-'} |")
    redis_rows = [(label, get(stage, label)) for stage, label in
                  (("redis", "coyote"), ("redis", "php-redis"), ("peer", "bullmq"))]
    if any(r for _, r in redis_rows[:2]):
        coy = redis_rows[0][1]
        md.append(f"\n## Redis Streams ({ref} PHP workers; BullMQ: one Node worker, concurrency 100; same redis-server build, no persistence)\n")
        md.append("| system | version | jobs/s | Coyote + redis / system |")
        md.append("|---|---|---:|---:|")
        names = {"coyote": "Coyote + redis driver (prefetch 1000)", "php-redis": "PHP workers on the stream directly (XREADGROUP 10, XACK per job)", "bullmq": "BullMQ"}
        for label, r in redis_rows:
            if r is None:
                md.append(f"| {names[label]} | - | error | - |")
            else:
                md.append(f"| {names[label]} | {r.get('version', '(this tree)')} | {r['jobs_per_s']:,.0f} | {ratio(coy, r) if coy else '-'} |")
    if sq_single or sq_batch or sq_drain or sq_disk:
        md.append("\n## Durable driver (sqlite: WAL, synchronous=FULL, one group-committing writer)\n")
        if fsyncs:
            md.append("The disk's own rate in the same run (append 128 B + fdatasync): "
                      + ", ".join(f"{r['syncs_per_s']:,.0f}/s (p50 {r['p50_us']:.0f} us)" for r in fsyncs)
                      + ". Every acknowledged push below waited for such a sync of its commit.\n")
        md.append("| stage | jobs/s | note |")
        md.append("|---|---:|---|")
        best_sync = max((r["syncs_per_s"] for r in fsyncs), default=None)
        if sq_single:
            per_sync = f"; {sq_single['jobs_per_s'] / best_sync:.1f} jobs per disk sync" if best_sync else ""
            md.append(f"| jobs.Push, 8 concurrent producers | {sq_single['jobs_per_s']:,.0f} | {sq_single['jobs']:,} jobs{per_sync} |")
        if sq_batch:
            md.append(f"| jobs.PushBatch of 1000 | {sq_batch['jobs_per_s']:,.0f} | {sq_batch['jobs']:,} jobs |")
        if sq_mem:
            md.append(f"| drain, memory pipeline ({ref_label}) | {sq_mem['jobs_per_s']:,.0f} | same host process |")
        if sq_drain:
            md.append(f"| drain, sqlite pipeline ({ref_label}) | {sq_drain['jobs_per_s']:,.0f} | "
                      f"{ratio(sq_drain, sq_mem) if sq_mem else '-'} x memory |")
        if sq_disk:
            md.append(f"\nOn disk: {sq_disk['file_bytes']:,} bytes for {sq_disk['jobs']:,} queued jobs "
                      f"({sq_disk['payload_bytes']}-byte payload) = {sq_disk['bytes_per_job']:.0f} B/job.")
    md.append("\n## Goals\n")
    md.append("| metric | measured | goal | met |")
    md.append("|---|---:|---:|:---:|")
    names = {"ceiling_ratio": f"Coyote / pipe ceiling ({ref} workers)", "peer_ratio": "Coyote / fastest peer",
             "push_batch": "RPC PushBatch(1000) jobs/s", "push_single": "RPC Push (sequential) jobs/s",
             "latency_p99_ms": "p99 push -> worker start at 5 000/s (ms)",
             "memory_overhead_bytes": "host bytes per queued job beyond payload",
             "amqp_peer_ratio": "Coyote + amqp / php-amqp consumers",
             "amqp_peer_ratio_pinned": "the same, broker pinned to a core of its own",
             "nats_direct_ratio": "Coyote + nats / fastest direct JetStream consumers",
             "beanstalk_peer_ratio": "Coyote + beanstalk / beanstalkd's own PHP consumers",
             "redis_ratio": f"Coyote + redis / PHP on the stream directly ({ref} workers)",
             "sqlite_push_single": "sqlite fsync-safe Push, 8 producers, jobs/s",
             "sqlite_push_batch": "sqlite fsync-safe PushBatch(1000) jobs/s",
             "sqlite_drain_ratio": f"sqlite drain / memory drain ({ref} workers)"}
    for k, goal in GOALS.items():
        v = summary.get(k)
        shown = "error" if v is None else (f"{v:,.3f}" if isinstance(v, float) and v < 100 else f"{v:,.0f}")
        op = "<=" if k in lower_is_better else ">="
        met = {None: "?", True: "yes", False: "**no**"}[verdict[k]]
        md.append(f"| {names[k]} | {shown} | {op} {goal:,g} | {met} |")
    if paired:
        md.append(f"\nCoyote / ceiling per repetition ({ref_label}, each pair measured back to back): "
                  + ", ".join(f"{x:.3f}" for x in paired)
                  + f"; median {paired_median:.3f}.")
    if lat:
        md.append(f"\nLatency at {lat['rate']:.0f} jobs/s (achieved {lat['achieved_rate']:,.0f}/s, {lat['jobs']} jobs, "
                  f"{lat['label']}): p50 {lat['p50_ms']:.3f} ms, p99 {lat['p99_ms']:.3f} ms, max {lat['max_ms']:.3f} ms.")
    floor = get("rpc_floor", "jobs.List")
    if ps and floor:
        md.append(f"\nSequential RPC on one connection: jobs.Push {ps['jobs_per_s']:,.0f}/s "
                  f"({1e6 / ps['jobs_per_s']:.1f} us per call); the cheapest method (jobs.List) "
                  f"{floor['jobs_per_s']:,.0f}/s ({1e6 / floor['jobs_per_s']:.1f} us): the round trip floor.")
    if mem:
        md.append(f"\nMemory: {mem['jobs']:,} queued {mem['payload_bytes']}-byte jobs in a paused pipeline: VmRSS "
                  f"{mem['rss_before_kb']:,} kB -> {mem['rss_after_kb']:,} kB = {mem['bytes_per_job']:.0f} B/job, "
                  f"{mem['overhead_bytes_per_job']:.0f} B beyond the payload.")
    flow_rows = [(mode, get("flow", f"flow={mode} {ref_label}")) for mode in ("off", "on")]
    if all(r for _, r in flow_rows):
        off, on = flow_rows[0][1]["jobs_per_s"], flow_rows[1][1]["jobs_per_s"]
        md.append(f"\nFair shares and caps (issue 18), drain {ref_label}: flow queue off (strict priority) "
                  f"{off:,.0f} jobs/s, on (scheduling: fair, weight, non-binding max_concurrency and "
                  f"rate_limit) {on:,.0f} jobs/s ({(on / off - 1) * 100:+.1f} %).")
    micro = [r for r in stages if r["stage"] == "micro"]
    if micro:
        md.append("\n## Micro-benchmarks (Google Benchmark)\n")
        md.append("| benchmark | ns/op | items/s |")
        md.append("|---|---:|---:|")
        for r in micro:
            if "error" in r:
                md.append(f"| {r['label']} | error: {r['error'][:80]} | |")
            else:
                ips = f"{r['items_per_s']:,.0f}" if r.get("items_per_s") else ""
                md.append(f"| {r['label']} | {r['ns_per_op']:,.1f} | {ips} |")
    cg = {r["label"]: r for r in stages if r["stage"] == "callgrind" and "error" not in r}
    if cg:
        any_cg = next(iter(cg.values()))
        md.append(f"\n## Host instructions per job (callgrind, {any_cg['workers']} workers, "
                  f"(I(N2) - I(N1)) / (N2 - N1), N1={any_cg['n1']}, N2={any_cg['n2']})\n")
        md.append("| path | instructions per job |")
        md.append("|---|---:|")
        for label, name in (("push_batch", "Coyote `jobs.PushBatch` of 1 000 into a paused pipeline"),
                            ("drain", "Coyote drain (queue -> frame -> worker -> reply -> ack)"),
                            ("ceiling", "minimal C parent (pipe ceiling), drain")):
            if label in cg:
                md.append(f"| {name} | {cg[label]['instr_per_job']:,} |")
    errors = [r for r in rows if "error" in r]
    if errors:
        md.append("\n## Stage errors\n")
        for r in errors:
            md.append(f"- {r['stage']} {r.get('label', '')}: {r['error']}")
    md.append("\n![chart](chart.png)\n")
    (out_dir / "results.md").write_text("\n".join(md) + "\n")

    # Chart data: one bar group per system at the reference worker count, plus the per-P series.
    with open(out_dir / "chart.dat", "w") as f:
        f.write("# system jobs_per_s\n")
        if ceiling:
            f.write(f"\"pipe ceiling\" {ceiling['jobs_per_s']:.1f}\n")
        if drain:
            f.write(f"\"Coyote drain\" {drain['jobs_per_s']:.1f}\n")
        if conc:
            f.write(f"\"Coyote push+drain\" {conc['jobs_per_s']:.1f}\n")
        for r in peers:
            f.write(f"\"{r['label']}\" {r['jobs_per_s']:.1f}\n")
    (out_dir / "chart.gp").write_text(f"""set terminal pngcairo size 900,500 noenhanced
set output '{out_dir / 'chart.png'}'
set title 'No-op jobs drained per second, {ref} PHP workers ({machine.get('cores')} cores, {machine.get('cpu')})'
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set ylabel 'jobs/s'
set yrange [0:*]
set grid ytics
set xtics rotate by -20
unset key
plot '{out_dir / 'chart.dat'}' using 2:xtic(1) linecolor rgb '#3a7bd5', '' using 0:2:(sprintf('%.0f',$2)) with labels offset 0,1 notitle
""")


if __name__ == "__main__":
    main()
