#!/usr/bin/env bash
# Coyote benchmarks: pipe ceiling, Coyote end to end, peers, RPC push, latency, memory, micro,
# the broker drivers against their brokers' native clients, and the durable (sqlite) driver.
# One command runs every stage on this machine in one run:  bash bench/run.sh [--quick]
# Results: bench/results/results.{md,json} and chart.png. --quick keeps every stage but shrinks N and
# writes to build-bench/bench-results (the test suite runs it so the harness cannot rot; then
# `python3 bench/check_results.py build-bench/bench-results/results.json` checks every number).
set -euo pipefail

QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${COYOTE_BENCH_BUILD:-$ROOT/build-bench}"
# A full run writes the committed results; --quick (the test suite) writes into the build tree so
# it never overwrites them. COYOTE_BENCH_RESULTS overrides both.
if (( QUICK )); then RESULTS="${COYOTE_BENCH_RESULTS:-$BUILD/bench-results}"; else RESULTS="${COYOTE_BENCH_RESULTS:-$ROOT/bench/results}"; fi
WORK="$(mktemp -d /tmp/coyote-bench.XXXXXX)"
RAW="$WORK/raw.jsonl"
PORT_RPC=16101; PORT_BEANSTALK=16102; PORT_REDIS=16103; PORT_GEARMAN=16104
PORT_NATS=16105; PORT_NATS_RPC=16106
PORT_BEANSTALK_COYOTE=16107
PORT_REDIS_STREAMS=16108
PORT_METRICS=16109
PHP_WORKER="$ROOT/bench/workers/noop.php"
STARTED=()

if (( QUICK )); then
  N=5000; N_SINGLE=2000; N_LAT=2500; N_MEM=100000; WORKERS=(1 2 4); MICRO_MIN=0.02; STAGE_TIMEOUT=60; REPS=1
  FSYNC_SECONDS=0.5
else
  N=100000; N_SINGLE=20000; N_LAT=25000; N_MEM=1000000; WORKERS=(1 2 4 8); MICRO_MIN=0.5; STAGE_TIMEOUT=600; REPS=3
  FSYNC_SECONDS=2
fi
REF_WORKERS=4   # the worker count the ratios and the peers use
REPS="${COYOTE_BENCH_REPS:-$REPS}"  # throughput stages repeat, interleaved; the report takes the best
# Developer loop: COYOTE_BENCH_STAGES="throughput memory" runs only those stages (names as in main
# below, without "stage_"), and COYOTE_BENCH_WORKERS="4" only those worker counts. The report then
# covers what ran; check_results.py is skipped because stages are missing by request.
STAGES="${COYOTE_BENCH_STAGES:-}"
[[ -n "${COYOTE_BENCH_WORKERS:-}" ]] && read -r -a WORKERS <<<"$COYOTE_BENCH_WORKERS"
wanted() { [[ -z "$STAGES" || " $STAGES " == *" $1 "* ]]; }
[[ -n "$STAGES" && -z "${COYOTE_BENCH_RESULTS:-}" ]] && RESULTS="$BUILD/bench-partial"

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED[@]}"; do
    timeout 10 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Records a stage failure as a JSON line; check_results.py reports it.
fail_stage() { printf '{"stage":"%s","label":"%s","error":"%s"}\n' "$1" "$2" "$3" >> "$RAW"; log "stage $1 $2 FAILED: $3"; }

stop_pid() {
  local pid="$1" i keep=() p
  for p in "${STARTED[@]}"; do [[ "$p" != "$pid" ]] && keep+=("$p"); done
  STARTED=("${keep[@]}")
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

wait_port() {
  local port="$1" i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# --- build -------------------------------------------------------------------------------------
build() {
  log "building in $BUILD"
  if [[ -f "$BUILD/CMakeCache.txt" ]]; then
    # An existing tree (e.g. COYOTE_BENCH_BUILD=build from scripts/test.sh): add the bench targets,
    # keep its build type and options.
    cmake -S "$ROOT" -B "$BUILD" -DCOYOTE_BUILD_BENCH=ON >&2
  else
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCOYOTE_BUILD_BENCH=ON -DCOYOTE_BUILD_TESTS=OFF >&2
  fi
  local targets=(coyote coyote_driver_memory coyote_driver_amqp coyote_driver_beanstalk coyote_driver_redis coyote_driver_sqlite coyote-bench-load coyote-bench-ceiling coyote-bench-fsync)
  grep -q '^benchmark_DIR:PATH=/' "$BUILD/CMakeCache.txt" && targets+=(coyote-bench-micro)
  grep -q '^COYOTE_NATS_LIBRARY:FILEPATH=/' "$BUILD/CMakeCache.txt" && targets+=(coyote_driver_nats)
  cmake --build "$BUILD" -j2 --target "${targets[@]}" >&2
}

# --- peers: installed idempotently from Debian and npm ----------------------------------------
install_peers() {
  local need=()
  command -v beanstalkd >/dev/null || need+=(beanstalkd)
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v gearmand >/dev/null || need+=(gearman-job-server)
  php -r 'exit(extension_loaded("gearman") ? 0 : 1);' 2>/dev/null || need+=(php-gearman)
  command -v gnuplot >/dev/null || need+=(gnuplot-nox)
  if (( ${#need[@]} )); then
    log "installing ${need[*]}"
    local sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}" >&2 \
      || log "apt-get install failed: the peer stages that need ${need[*]} will report an error"
  fi
  # Debian starts the system services on install; ours run on their own ports, so stop those.
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    :  # left alone: we never use the default ports
  fi
  if [[ ! -d "$ROOT/bench/peers/node_modules/bullmq" ]]; then
    log "npm install bullmq"
    (cd "$ROOT/bench/peers" && npm install --no-audit --no-fund --loglevel=error >&2) \
      || log "npm install failed: the BullMQ stage will report an error"
  fi
}

# --- coyote -------------------------------------------------------------------------------------
COYOTE_PID=""

# Starts `coyote serve -c YAML` in the background (COYOTE_PID, stopped at exit), waits for its RPC
# port, then SETTLE seconds for the workers' pid handshake (and, for brokers, their connections).
LAUNCH_PREFIX=()  # e.g. (taskset -c 1): what coyote is started under
launch_coyote() {  # yaml rpc-port settle-seconds
  "${LAUNCH_PREFIX[@]}" "$BUILD/bin/coyote" serve -c "$1" >>"$WORK/coyote.log" 2>&1 &
  COYOTE_PID=$!
  STARTED+=("$COYOTE_PID")
  wait_port "$2" || { log "coyote did not listen; log:"; tail -20 "$WORK/coyote.log" >&2; return 1; }
  sleep "$3"
}

start_coyote() {  # workers consume-list(e.g. '"live"') [lat-dir] [extra top-level yaml and pipelines]
  local workers="$1" consume="$2" latdir="${3:-}" extra="${4:-}"
  cat > "$WORK/rr.yaml" <<YAML
version: "3"
rpc:
  listen: tcp://127.0.0.1:$PORT_RPC
server:
  command: "php $PHP_WORKER"
  env:
    BENCH_LAT_DIR: "$latdir"
logs:
  mode: production
  level: error
jobs:
  pipeline_size: 2000000
  timeout: 60
  pool:
    num_workers: $workers
    max_jobs: 0
  consume: [$consume]
  pipelines:
    bench:
      driver: memory
      config:
        prefetch: 100000
    live:
      driver: memory
      config:
        prefetch: 100000
$extra
YAML
  launch_coyote "$WORK/rr.yaml" "$PORT_RPC" 0.3
}
stop_coyote() { [[ -n "$COYOTE_PID" ]] && stop_pid "$COYOTE_PID"; COYOTE_PID=""; }

LOAD() { timeout "$STAGE_TIMEOUT" "$BUILD/bin/coyote-bench-load" "$@" --address "tcp://127.0.0.1:$PORT_RPC" --timeout "$STAGE_TIMEOUT"; }

# Runs "$@" and appends its JSON line to RAW, or records a failure for stage/label.
record() {
  local stage="$1" label="$2"; shift 2
  local out
  if out="$("$@" 2>"$WORK/stage.err")" && [[ "$out" == \{* ]]; then
    echo "$out" | tail -1 >> "$RAW"
    log "$stage $label: $(echo "$out" | tail -1)"
  else
    fail_stage "$stage" "$label" "$(tail -c 300 "$WORK/stage.err" | tr '\n"\\' '  /')"
  fi
}

# One repetition of the throughput stages, interleaved per worker count so that noise from other
# load on the machine hits the ceiling and Coyote alike.
stage_throughput() {
  local p
  for p in "${WORKERS[@]}"; do
    record ceiling "P=$p" timeout "$STAGE_TIMEOUT" "$BUILD/bin/coyote-bench-ceiling" --workers "$p" --jobs "$N" -- php "$PHP_WORKER"
    start_coyote "$p" '"live"' && record drain "P=$p" LOAD drain --pipeline bench --jobs "$N" --pid "$COYOTE_PID" --label "P=$p"
    stop_coyote
    start_coyote "$p" '"live"' && record concurrent "P=$p" LOAD concurrent --pipeline live --jobs "$N" --label "P=$p"
    stop_coyote
  done
}

stage_push() {
  start_coyote 1 '"live"' && {
    record push_single "batch=1" LOAD push --pipeline bench --batch 1 --jobs "$N_SINGLE" --label "batch=1"
    record rpc_floor "jobs.List" LOAD ping --jobs "$N_SINGLE" --label "jobs.List"
    record push_batch "batch=1000" LOAD push --pipeline bench --batch 1000 --jobs "$N" --label "batch=1000"
  }
  stop_coyote
}

stage_latency() {
  local dir="$WORK/lat"; mkdir -p "$dir"
  start_coyote "$REF_WORKERS" '"live"' "$dir" \
    && record latency "rate=5000" LOAD latency --pipeline live --rate 5000 --jobs "$N_LAT" --lat-dir "$dir" --label "P=$REF_WORKERS"
  stop_coyote
}

stage_memory() {
  start_coyote 1 '"live"' && record memory "N=$N_MEM" LOAD memory --pipeline bench --jobs "$N_MEM" --pid "$COYOTE_PID" --label "N=$N_MEM"
  stop_coyote
}

# --- RabbitMQ: Coyote + the amqp driver against PHP processes consuming the broker directly ---
# One private broker (tests/e2e/lib/rabbitmq.py via bench/peers/amqp_broker.py) for the stage:
# the php-amqp peer (P consumers, prefetch 100 each, one ack per job), then Coyote with P PHP
# workers and one consumer of prefetch P x 100 on a queue filled the same way, then the push rate
# with publisher confirms (sequential jobs.Push, and jobs.PushBatch of 1000).
RABBIT_PID=""
start_rabbitmq() {
  rm -f "$WORK/rabbitmq.port"
  python3 "$ROOT/bench/peers/amqp_broker.py" "$WORK/rabbitmq.port" >"$WORK/rabbitmq.log" 2>&1 &
  RABBIT_PID=$!
  STARTED+=("$RABBIT_PID")
  local i
  for i in $(seq 1 1500); do
    [[ -s "$WORK/rabbitmq.port" ]] && return 0
    kill -0 "$RABBIT_PID" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

start_coyote_amqp() {  # workers latdir amqp-port
  cat > "$WORK/rr-amqp.yaml" <<YAML
version: "3"
rpc:
  listen: tcp://127.0.0.1:$PORT_RPC
server:
  command: "php $PHP_WORKER"
  env:
    BENCH_LAT_DIR: "$2"
logs:
  mode: production
  level: error
amqp:
  addr: amqp://guest:guest@127.0.0.1:$3/
jobs:
  timeout: 60
  pool:
    num_workers: $1
    max_jobs: 0
  pipelines:
    amqpbench:
      driver: amqp
      config:
        queue: bench_amqp_coyote
        routing_key: bench_amqp_coyote
        prefetch: $(( $1 * 100 ))
    amqppush:
      driver: amqp
      config:
        queue: bench_amqp_push
        routing_key: bench_amqp_push
YAML
  launch_coyote "$WORK/rr-amqp.yaml" "$PORT_RPC" 0.5  # the pipelines connect too
}

# coyote-bench-load's push mode, its stage renamed so the memory pipeline's rows stay apart.
amqp_push() { LOAD push "$@" | sed 's/"stage":"push_\(single\|batch\)"/"stage":"amqp_push_\1"/'; }

# One pair: php-amqp consumers, then Coyote's drain, each started under "$@" (e.g. taskset -c 1,
# or nothing); labels get SUFFIX. Leaves Coyote running (return 0) for more measurements.
amqp_drain_pair() {  # suffix port version dir [command prefix...]
  local suffix="$1" port="$2" v="$3" dir="$4" p="$REF_WORKERS"; shift 4
  record amqp_peer "php-amqp$suffix" as_label "php-amqp$suffix" timeout "$STAGE_TIMEOUT" "$@" php "$ROOT/bench/peers/amqp.php" bench "$port" "$N" "$p" "$v"
  rm -rf "$dir"; mkdir -p "$dir"
  LAUNCH_PREFIX=("$@")
  if ! start_coyote_amqp "$p" "$dir" "$port"; then
    LAUNCH_PREFIX=()
    fail_stage amqp_drain "P=$p$suffix" "coyote did not start"
    return 1
  fi
  LAUNCH_PREFIX=()
  record amqp_drain "P=$p$suffix" as_label "P=$p$suffix" timeout "$STAGE_TIMEOUT" "$@" php "$ROOT/bench/peers/amqp.php" coyote \
    "tcp://127.0.0.1:$PORT_RPC" bench_amqp_coyote amqpbench "$N" "$dir" "$port" "$p" "$COYOTE_PID"
}

stage_amqp() {
  local p="$REF_WORKERS" v dir="$WORK/amqplat"
  [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || { fail_stage amqp_drain "P=$p" "rabbitmq-server is not installed"; return; }
  php -r 'exit(extension_loaded("amqp") ? 0 : 1);' || { fail_stage amqp_peer php-amqp "php-amqp is not loaded"; return; }
  if ! start_rabbitmq; then
    fail_stage amqp_drain "P=$p" "rabbitmq-server did not start: $(tail -c 200 "$WORK/rabbitmq.log" | tr '\n"\\' '  /')"
    stop_pid "$RABBIT_PID"
    return
  fi
  local port; port="$(cat "$WORK/rabbitmq.port")"
  BENCH_BROKER_PIDS="$(cat "$WORK/rabbitmq.port.pids" 2>/dev/null || true)"
  export BENCH_BROKER_PIDS
  v="$(cat "$WORK/rabbitmq.port.version" 2>/dev/null || echo rabbitmq-server)"
  if amqp_drain_pair "" "$port" "$v" "$dir"; then
    record amqp_push_single "batch=1" amqp_push --pipeline amqppush --batch 1 --jobs "$N_SINGLE" --label "batch=1"
    record amqp_push_batch "batch=1000" amqp_push --pipeline amqppush --batch 1000 --jobs "$N" --label "batch=1000"
  fi
  stop_coyote
  # Again with the broker on a core of its own (CPU 0) and everything else on the other, as where
  # RabbitMQ runs on its own machine: then the broker's CPU per delivery is the bound, not the
  # sum of everyone's. Same broker, same N; labels "pinned".
  if [[ -n "$BENCH_BROKER_PIDS" ]] && command -v taskset >/dev/null && (( $(nproc) >= 2 )); then
    local pid
    for pid in $BENCH_BROKER_PIDS; do taskset -a -p -c 0 "$pid" >/dev/null; done
    amqp_drain_pair " pinned" "$port" "$v" "$dir" taskset -c 1 || true
    stop_coyote
  fi
  stop_pid "$RABBIT_PID"
}

# --- durable (sqlite) driver: fsync-safe pushes, drain against memory, bytes on disk -----------
start_coyote_durable() {  # workers db-file
  local workers="$1" file="$2"
  cat > "$WORK/rr-durable.yaml" <<YAML
version: "3"
rpc:
  listen: tcp://127.0.0.1:$PORT_RPC
server:
  command: "php $PHP_WORKER"
logs:
  mode: production
  level: error
jobs:
  pipeline_size: 2000000
  timeout: 60
  pool:
    num_workers: $workers
    max_jobs: 0
  consume: []
  pipelines:
    durable:
      driver: sqlite
      config:
        file: "$file"
    mem:
      driver: memory
      config:
        prefetch: 100000
YAML
  launch_coyote "$WORK/rr-durable.yaml" "$PORT_RPC" 0.3
}

# Pushes acknowledged only once fsync'ed (synchronous=FULL): 8 concurrent single-job producers
# (group commit) and PushBatch of 1000, with the disk's own fdatasync rate measured just before.
stage_sqlite_push() {
  rm -f "$WORK"/push.db*
  record fsync_rate probe timeout "$STAGE_TIMEOUT" "$BUILD/bin/coyote-bench-fsync" "$WORK" "$FSYNC_SECONDS"
  start_coyote_durable 1 "$WORK/push.db" && {
    record sqlite_push_single "producers=8" LOAD push --pipeline durable --batch 1 --producers 8 \
      --jobs "$N_SINGLE" --stage sqlite_push_single --label "producers=8"
    record sqlite_push_batch "batch=1000" LOAD push --pipeline durable --batch 1000 --jobs "$N" \
      --stage sqlite_push_batch --label "batch=1000"
  }
  stop_coyote
  record fsync_rate probe-after timeout "$STAGE_TIMEOUT" "$BUILD/bin/coyote-bench-fsync" "$WORK" "$FSYNC_SECONDS"
}

# Drain with the reference worker count from the durable pipeline and from a memory pipeline,
# in the same host process, one after the other.
stage_sqlite_drain() {
  rm -f "$WORK"/drain.db*
  start_coyote_durable "$REF_WORKERS" "$WORK/drain.db" && {
    record sqlite_drain "memory P=$REF_WORKERS" LOAD drain --pipeline mem --jobs "$N" --pid "$COYOTE_PID" \
      --stage sqlite_drain --label "memory P=$REF_WORKERS"
    record sqlite_drain "sqlite P=$REF_WORKERS" LOAD drain --pipeline durable --jobs "$N" --pid "$COYOTE_PID" \
      --stage sqlite_drain --label "sqlite P=$REF_WORKERS"
  }
  stop_coyote
}

# Bytes on disk per queued job (100-byte payload), after a graceful stop checkpoints the WAL.
sqlite_disk_json() {
  local file="$1" jobs="$2" bytes=0 f
  for f in "$file" "$file-wal"; do [[ -f "$f" ]] && bytes=$((bytes + $(stat -c %s "$f"))); done
  (( bytes > 0 )) || { echo "no database file at $file" >&2; return 1; }
  python3 -c "import json,sys; b,n=int(sys.argv[1]),int(sys.argv[2]); print(json.dumps({'stage':'sqlite_disk','label':'N=%d' % n,'jobs':n,'payload_bytes':100,'file_bytes':b,'bytes_per_job':round(b/n,1)}))" "$bytes" "$jobs"
}
stage_sqlite_disk() {
  rm -f "$WORK"/disk.db*
  start_coyote_durable 1 "$WORK/disk.db" \
    && LOAD push --pipeline durable --batch 1000 --jobs "$N" --payload 100 >/dev/null 2>"$WORK/stage.err" \
    || { fail_stage sqlite_disk "N=$N" "push failed: $(tail -c 200 "$WORK/stage.err" | tr '\n"\\' '  /')"; stop_coyote; return; }
  stop_coyote
  record sqlite_disk "N=$N" sqlite_disk_json "$WORK/disk.db" "$N"
}

# Takes over SERVER, just started in the background as PID: once it listens on PORT, the command
# after PID runs as peer stage LABEL. The server is stopped either way.
peer_on_server() {
  local label="$1" server="$2" port="$3" pid="$4"; shift 4
  STARTED+=("$pid")
  if wait_port "$port"; then
    record peer "$label" timeout "$STAGE_TIMEOUT" "$@"
  else
    fail_stage peer "$label" "$server did not listen"
  fi
  stop_pid "$pid"
}

stage_beanstalkd() {
  command -v beanstalkd >/dev/null || { fail_stage peer beanstalkd "beanstalkd is not installed"; return; }
  local v; v="$(beanstalkd -v 2>&1 | head -1)" || true
  beanstalkd -l 127.0.0.1 -p "$PORT_BEANSTALK" -z 65536 >"$WORK/beanstalkd.log" 2>&1 &
  peer_on_server beanstalkd beanstalkd "$PORT_BEANSTALK" $! \
    php "$ROOT/bench/peers/beanstalk.php" bench "$PORT_BEANSTALK" "$N" "$REF_WORKERS" "$v"
}

# Coyote + the beanstalk driver, REF_WORKERS PHP workers, against the same beanstalkd build: N jobs
# pushed through Coyote into a paused pipeline (pipelined puts), then resume -> the tube is empty.
# The beanstalkd peer stage (REF_WORKERS PHP consumers on beanstalkd directly) is the comparison.
broker_drain() { LOAD drain "$@" | sed 's/"stage":"drain"/"stage":"broker"/'; }
stage_beanstalk() {
  command -v beanstalkd >/dev/null || { fail_stage broker beanstalk "beanstalkd is not installed"; return; }
  beanstalkd -l 127.0.0.1 -p "$PORT_BEANSTALK_COYOTE" -z 65536 >"$WORK/beanstalkd-coyote.log" 2>&1 &
  local pid=$!
  STARTED+=("$pid")
  if wait_port "$PORT_BEANSTALK_COYOTE"; then
    start_coyote "$REF_WORKERS" '"live"' "" "    bs:
      driver: beanstalk
      config:
        tube: bench
beanstalk:
  addr: tcp://127.0.0.1:$PORT_BEANSTALK_COYOTE" \
      && record broker beanstalk broker_drain --pipeline bs --jobs "$N" --pid "$COYOTE_PID" --label beanstalk
    stop_coyote
  else
    fail_stage broker beanstalk "beanstalkd did not listen"
  fi
  stop_pid "$pid"
}

stage_bullmq() {
  command -v redis-server >/dev/null || { fail_stage peer bullmq "redis-server is not installed"; return; }
  [[ -d "$ROOT/bench/peers/node_modules/bullmq" ]] || { fail_stage peer bullmq "bullmq is not installed (npm)"; return; }
  local v; v="bullmq $(node -p "require('$ROOT/bench/peers/node_modules/bullmq/package.json').version") on redis $(redis-server --version | grep -o 'v=[^ ]*' | cut -c3-)" || true
  redis-server --port "$PORT_REDIS" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
    >"$WORK/redis.log" 2>&1 &
  peer_on_server bullmq redis-server "$PORT_REDIS" $! \
    node "$ROOT/bench/peers/bullmq.js" "$PORT_REDIS" "$N" 100 "$v"
}

stage_gearman() {
  command -v gearmand >/dev/null || { fail_stage peer gearman "gearmand is not installed"; return; }
  php -r 'exit(extension_loaded("gearman") ? 0 : 1);' || { fail_stage peer gearman "php-gearman is not loaded"; return; }
  local v; v="gearmand $(gearmand --version 2>&1 | grep -o '[0-9][0-9.]*' | head -1), php-gearman $(php -r 'echo phpversion("gearman");')" || true
  gearmand --listen=127.0.0.1 --port="$PORT_GEARMAN" --threads=1 --log-file=none --verbose=ERROR \
    --pid-file="$WORK/gearmand.pid" >"$WORK/gearmand.log" 2>&1 &
  peer_on_server gearman gearmand "$PORT_GEARMAN" $! \
    php "$ROOT/bench/peers/gearman.php" bench "$PORT_GEARMAN" "$N" "$REF_WORKERS" "$v"
}

# Runs "$@" and renames the stage of the JSON line it prints to $1 (the tools name their own).
as_stage() { local stage="$1"; shift; "$@" | sed "s/\"stage\":\"[a-z_]*\"/\"stage\":\"$stage\"/"; }
as_label() { local label="$1"; shift; "$@" | sed "s/\"label\":\"[^\"]*\"/\"label\":\"$label\"/"; }

# Redis Streams: Coyote's redis driver feeding REF_WORKERS PHP workers (N jobs XADDed through
# PushBatch into a paused pipeline, then jobs.Resume until jobs.Stat shows nothing left), against
# REF_WORKERS PHP workers consuming the same kind of stream directly with php-redis (XREADGROUP 10
# at a time, XACK per job). One redis-server (no persistence, as the BullMQ stage) for both; the
# BullMQ peer stage of the same repetition is the third column of the report.
stage_redis() {
  if ! command -v redis-server >/dev/null; then
    fail_stage redis coyote "redis-server is not installed"; fail_stage redis php-redis "redis-server is not installed"; return
  fi
  local v; v="php-redis $(php -r 'echo phpversion("redis");' 2>/dev/null) on redis $(redis-server --version | grep -o 'v=[^ ]*' | cut -c3-)" || true
  redis-server --port "$PORT_REDIS_STREAMS" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
    >"$WORK/redis-streams.log" 2>&1 &
  local pid=$!
  STARTED+=("$pid")
  if wait_port "$PORT_REDIS_STREAMS"; then
    cat > "$WORK/rr-redis.yaml" <<YAML
version: "3"
rpc:
  listen: tcp://127.0.0.1:$PORT_RPC
server:
  command: "php $PHP_WORKER"
logs:
  mode: production
  level: error
redis:
  addr: redis://127.0.0.1:$PORT_REDIS_STREAMS
jobs:
  pipeline_size: 2000000
  timeout: 60
  pool:
    num_workers: $REF_WORKERS
    max_jobs: 0
  consume: []
  pipelines:
    rbench:
      driver: redis
      config:
        stream: bench:coyote
        prefetch: 1000
YAML
    "$BUILD/bin/coyote" serve -c "$WORK/rr-redis.yaml" >>"$WORK/coyote.log" 2>&1 &
    COYOTE_PID=$!
    STARTED+=("$COYOTE_PID")
    if wait_port "$PORT_RPC"; then
      sleep 0.3  # workers finish their pid handshake
      record redis coyote as_stage redis LOAD drain --pipeline rbench --jobs "$N" --pid "$COYOTE_PID" --label coyote
    else
      fail_stage redis coyote "coyote did not listen: $(tail -3 "$WORK/coyote.log" | tr '\n"\\' '  /')"
    fi
    stop_coyote
    if php -r 'exit(extension_loaded("redis") ? 0 : 1);' 2>/dev/null; then
      record redis php-redis as_stage redis timeout "$STAGE_TIMEOUT" \
        php "$ROOT/bench/peers/redis_streams.php" bench "$PORT_REDIS_STREAMS" "$N" "$REF_WORKERS" "$v"
    else
      fail_stage redis php-redis "the php-redis extension is not loaded"
    fi
  else
    fail_stage redis coyote "redis-server did not listen"
  fi
  stop_pid "$pid"
}

# NATS JetStream: the same N RoadRunner-format jobs in a stream, consumed by Coyote (nats driver,
# REF_WORKERS PHP workers) and directly by REF_WORKERS consumers sharing one durable pull consumer:
# cnats's Fetch/Ack (bench/peers/nats_peer.c) and a PHP stdlib client (bench/peers/nats_direct.php,
# acks sent with the next pull). Every run is timed by one consumer-info poll: first delivery ->
# every job acked.
NATS_PREFETCH="${COYOTE_BENCH_NATS_PREFETCH:-256}"
NATS_DIRECT_BATCH="${COYOTE_BENCH_NATS_BATCH:-10}"
stage_nats() {
  command -v nats-server >/dev/null || { fail_stage nats all "nats-server is not installed"; return; }
  [[ -f "$BUILD/lib/coyote/plugins/libcoyote_driver_nats.so" ]] || { fail_stage nats all "the nats driver was not built (libnats-dev?)"; return; }
  local peer="$WORK/nats_peer" url="nats://127.0.0.1:$PORT_NATS" v
  if [[ ! -x "$peer" ]] && ! cc -O2 -o "$peer" "$ROOT/bench/peers/nats_peer.c" -lnats -lpthread 2>"$WORK/stage.err"; then
    fail_stage nats all "$(tail -c 300 "$WORK/stage.err" | tr '\n"\\' '  /')"; return
  fi
  v="nats-server $(nats-server --version | grep -o 'v[0-9][0-9.]*'), cnats $(pkg-config --modversion libnats 2>/dev/null || echo '?')"
  rm -rf "$WORK/nats"
  nats-server -js -a 127.0.0.1 -p "$PORT_NATS" -sd "$WORK/nats" >"$WORK/nats.log" 2>&1 &
  local npid=$!
  STARTED+=("$npid")
  if ! wait_port "$PORT_NATS"; then fail_stage nats all "nats-server did not listen"; stop_pid "$npid"; return; fi
  if "$peer" fill "$url" BENCHD bench.direct "$N" 2>"$WORK/stage.err"; then
    record nats "direct" timeout "$STAGE_TIMEOUT" "$peer" direct "$url" BENCHD bench.direct "$N" "$REF_WORKERS" "$NATS_DIRECT_BATCH" "$v"
  else
    fail_stage nats direct "$(tail -c 300 "$WORK/stage.err" | tr '\n"\\' '  /')"
  fi
  if "$peer" fill "$url" BENCHP bench.php "$N" 2>"$WORK/stage.err"; then
    php "$ROOT/bench/peers/nats_direct.php" bench "$PORT_NATS" BENCHP bench.php "$REF_WORKERS" "$NATS_DIRECT_BATCH" 2>>"$WORK/nats.log" &
    local ppid=$!
    record nats "direct-php" timeout "$STAGE_TIMEOUT" "$peer" watch "$url" BENCHP direct-php "$N" "direct PHP (batch $NATS_DIRECT_BATCH)" "$REF_WORKERS" "$v"
    wait "$ppid" || true
  else
    fail_stage nats direct-php "$(tail -c 300 "$WORK/stage.err" | tr '\n"\\' '  /')"
  fi
  if "$peer" fill "$url" BENCHC bench.coyote "$N" 2>"$WORK/stage.err"; then
    cat > "$WORK/rr-nats.yaml" <<YAML
version: "3"
rpc:
  listen: tcp://127.0.0.1:$PORT_NATS_RPC
server:
  command: "php $PHP_WORKER"
logs:
  mode: production
  level: error
nats:
  addr: $url
jobs:
  pool:
    num_workers: $REF_WORKERS
    max_jobs: 0
  consume: []
  pipelines:
    nbench:
      driver: nats
      config:
        subject: bench.coyote
        stream: BENCHC
        prefetch: $NATS_PREFETCH
YAML
    "$BUILD/bin/coyote" serve -c "$WORK/rr-nats.yaml" >>"$WORK/coyote.log" 2>&1 &
    local cpid=$!
    STARTED+=("$cpid")
    if wait_port "$PORT_NATS_RPC"; then
      sleep 0.5  # workers finish their pid handshake
      ( sleep 0.2; "$BUILD/bin/coyote" jobs resume --rpc "tcp://127.0.0.1:$PORT_NATS_RPC" nbench >/dev/null ) &
      local rpid=$!
      record nats "coyote" timeout "$STAGE_TIMEOUT" "$peer" watch "$url" BENCHC coyote-nbench "$N" "coyote (prefetch $NATS_PREFETCH)" "$REF_WORKERS" "$v"
      wait "$rpid" || true
    else
      fail_stage nats coyote "coyote did not listen"
    fi
    stop_pid "$cpid"
  else
    fail_stage nats coyote "$(tail -c 300 "$WORK/stage.err" | tr '\n"\\' '  /')"
  fi
  stop_pid "$npid"
}

stage_micro() {
  [[ -x "$BUILD/bin/coyote-bench-micro" ]] || { fail_stage micro all "coyote-bench-micro was not built (libbenchmark-dev?)"; return; }
  if timeout "$STAGE_TIMEOUT" "$BUILD/bin/coyote-bench-micro" --benchmark_min_time="$MICRO_MIN" \
       --benchmark_format=json >"$WORK/micro.json" 2>"$WORK/stage.err"; then
    python3 - "$WORK/micro.json" >> "$RAW" <<'PY'
import json, sys
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
    print(json.dumps({"stage": "micro", "label": b["name"], "ns_per_op": b["real_time"] * unit,
                      "items_per_s": b.get("items_per_second")}))
PY
    log "micro: done"
  else
    fail_stage micro all "$(tail -c 300 "$WORK/stage.err" | tr '\n"\\' '  /')"
  fi
}

machine_json() {
  python3 - "$QUICK" <<'PY'
import json, os, platform, re, subprocess, sys
model = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        model = line.split(":", 1)[1].strip(); break
mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
php = subprocess.run(["php", "-r", "echo PHP_VERSION;"], capture_output=True, text=True).stdout
print(json.dumps({"stage": "machine", "cores": os.cpu_count(), "cpu": model, "mem_gb": round(int(mem) / 1048576, 1),
                  "kernel": platform.release(), "php": php, "quick": sys.argv[1] == "1"}))
PY
}

# Scrape cost (issue 14): drain rate of a host with 1 000 pipelines and SCRAPE_WORKERS workers,
# without and with a scraper hitting /metrics 10 times a second, same run; plus what a scrape
# costs the loop (coyote_metrics_scrape_loop_seconds) and its size.
start_coyote_scrape() {
  local workers="$1"
  {
    cat <<YAML
version: "3"
rpc:
  listen: tcp://127.0.0.1:$PORT_RPC
server:
  command: "php $PHP_WORKER"
logs:
  mode: production
  level: error
metrics:
  address: 127.0.0.1:$PORT_METRICS
jobs:
  pipeline_size: 2000000
  timeout: 60
  pool:
    num_workers: $workers
    max_jobs: 0
  consume: ["live"]
  pipelines:
    bench:
      driver: memory
      config:
        prefetch: 100000
    live:
      driver: memory
YAML
    local i
    for i in $(seq 1 998); do printf '    idle%d:\n      driver: memory\n' "$i"; done
  } > "$WORK/rr-scrape.yaml"
  launch_coyote "$WORK/rr-scrape.yaml" "$PORT_RPC" 0 || return 1
  wait_port "$PORT_METRICS" || return 1
  sleep 1  # workers finish their pid handshake
}

stage_scrape() {
  # Long enough a drain for dozens of scrapes to land in it.
  local workers="${SCRAPE_WORKERS:-100}" n=$((N * 5)) scraper
  (( QUICK )) && workers="${SCRAPE_WORKERS:-4}" && n=$((N * 20))
  start_coyote_scrape "$workers" \
    && record scrape "scraper=off" LOAD drain --pipeline bench --jobs "$n" --pid "$COYOTE_PID" --label "scraper=off"
  stop_coyote
  if start_coyote_scrape "$workers"; then
    python3 "$ROOT/bench/load/scraper.py" "http://127.0.0.1:$PORT_METRICS/metrics" 10 "P=$workers" \
      > "$WORK/scraper.json" 2>"$WORK/scraper.err" &
    scraper=$!
    STARTED+=("$scraper")
    record scrape "scraper=10/s" LOAD drain --pipeline bench --jobs "$n" --pid "$COYOTE_PID" --label "scraper=10/s"
    stop_pid "$scraper"
    wait "$scraper" 2>/dev/null || true
    record scrape_cost "P=$workers" tail -1 "$WORK/scraper.json"
  fi
  stop_coyote
}

# Fair shares and caps (issue 18): drain rate through one pool with the flow queue off (strict
# priority, RoadRunner's) and on (scheduling: fair, weights, a max_concurrency and a rate_limit
# that never bind, so only their bookkeeping is measured), same run. Ports 16125-16129.
PORT_FLOW_RPC=16125
start_coyote_flow() {  # workers on|off
  local workers="$1" mode="$2" scheduling="priority" caps=""
  if [[ "$mode" == on ]]; then
    scheduling="fair"
    caps="      weight: 3
      max_concurrency: 100000
      rate_limit: 100000000/1s"
  fi
  cat > "$WORK/rr-flow.yaml" <<YAML
version: "3"
rpc:
  listen: tcp://127.0.0.1:$PORT_FLOW_RPC
server:
  command: "php $PHP_WORKER"
logs:
  mode: production
  level: error
jobs:
  pipeline_size: 2000000
  timeout: 60
  pool:
    num_workers: $workers
    max_jobs: 0
    scheduling: $scheduling
  consume: ["other"]
  pipelines:
    bench:
      driver: memory
      config:
        prefetch: 100000
$caps
    other:
      driver: memory
      weight: 1
YAML
  launch_coyote "$WORK/rr-flow.yaml" "$PORT_FLOW_RPC" 0.3
}

stage_flow() {
  local mode
  for mode in off on; do
    start_coyote_flow "$REF_WORKERS" "$mode" && record flow "flow=$mode P=$REF_WORKERS" \
      as_stage flow timeout "$STAGE_TIMEOUT" "$BUILD/bin/coyote-bench-load" drain --pipeline bench \
        --jobs "$N" --pid "$COYOTE_PID" --label "flow=$mode P=$REF_WORKERS" \
        --address "tcp://127.0.0.1:$PORT_FLOW_RPC" --timeout "$STAGE_TIMEOUT"
    stop_coyote
  done
}

# --- callgrind: host instructions per job (issue 20) -------------------------------------------
# Wall time on a shared VM swings by tens of percent; instruction counts do not. `coyote serve` runs
# under callgrind (--trace-children=no: the PHP workers are not counted) with the memory driver and
# CG_WORKERS workers. Counters are zeroed once it is up, dumped after a jobs.PushBatch of 1 000s
# into the paused pipeline, and dumped again after jobs.Resume drained it (queue -> frame -> worker
# -> reply -> ack; jobs.Stat polled every CG_POLL_MS only). Two runs, N1 and N2 jobs: the marginal
# cost per job, (I(N2) - I(N1)) / (N2 - N1), cancels startup, connections and the polls' floor.
# The pipe ceiling program (the minimal C parent) is measured the same way as a whole process.
PORT_CG_RPC=16110
CG_WORKERS=4
CG_POLL_MS=500
CG_N1=2000; CG_N2=6000
(( QUICK )) || { CG_N1=10000; CG_N2=50000; }

cg_total() {  # callgrind output file -> total instructions (Ir)
  awk '/^(summary|totals):/ { print $2; exit }' "$1"
}

# Prints "<push Ir> <drain Ir>" for one coyote run of $1 jobs; $2 is its output directory.
cg_coyote_run() {
  local n="$1" dir="$2" pid i
  mkdir -p "$dir"
  cat > "$dir/rr.yaml" <<YAML
version: "3"
rpc:
  listen: tcp://127.0.0.1:$PORT_CG_RPC
server:
  command: "$CG_WORKER_CMD"
logs:
  mode: production
  level: error
jobs:
  pipeline_size: 2000000
  timeout: 600
  pool:
    num_workers: $CG_WORKERS
    max_jobs: 0
  consume: []
  pipelines:
    bench:
      driver: memory
      config:
        prefetch: 100000
YAML
  # COYOTE_BENCH_CALLGRIND_ARGS adds valgrind options (e.g. --dump-instr=yes for per-instruction
  # profiles of a kept run).
  # shellcheck disable=SC2086
  valgrind --tool=callgrind --trace-children=no --callgrind-out-file="$dir/cg.out" \
    ${COYOTE_BENCH_CALLGRIND_ARGS:-} "$BUILD/bin/coyote" serve -c "$dir/rr.yaml" >"$dir/coyote.log" 2>&1 &
  pid=$!
  STARTED+=("$pid")
  # Valgrind starts the host ~50x slower: wait for the RPC port, then for the workers' handshake.
  for i in $(seq 1 600); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT_CG_RPC") 2>/dev/null && break; sleep 0.1; done
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT_CG_RPC") 2>/dev/null || { echo "coyote did not listen under valgrind: $(tail -c 300 "$dir/coyote.log")" >&2; stop_pid "$pid"; return 1; }
  sleep 2
  callgrind_control --zero "$pid" >/dev/null
  timeout "$STAGE_TIMEOUT" "$BUILD/bin/coyote-bench-load" push --address "tcp://127.0.0.1:$PORT_CG_RPC" \
    --pipeline bench --batch 1000 --jobs "$n" --timeout "$STAGE_TIMEOUT" >/dev/null || { stop_pid "$pid"; return 1; }
  callgrind_control --dump=push "$pid" >/dev/null
  timeout "$STAGE_TIMEOUT" "$BUILD/bin/coyote-bench-load" resume --address "tcp://127.0.0.1:$PORT_CG_RPC" \
    --pipeline bench --jobs "$n" --poll-ms "$CG_POLL_MS" --timeout "$STAGE_TIMEOUT" >/dev/null || { stop_pid "$pid"; return 1; }
  callgrind_control --dump=drain "$pid" >/dev/null
  stop_pid "$pid"
  echo "$(cg_total "$dir/cg.out.1") $(cg_total "$dir/cg.out.2")"
}

cg_ceiling_run() {  # jobs dir -> total Ir of the minimal C parent
  mkdir -p "$2"
  valgrind --tool=callgrind --trace-children=no --callgrind-out-file="$2/cg.out" \
    "$BUILD/bin/coyote-bench-ceiling" --workers "$CG_WORKERS" --jobs "$1" -- $CG_WORKER_CMD >/dev/null 2>"$2/ceiling.log" \
    || { echo "ceiling failed: $(tail -c 300 "$2/ceiling.log")" >&2; return 1; }
  cg_total "$2/cg.out"
}

cg_json() {  # label I1 I2 -> one JSON line
  python3 -c 'import json,sys; l,a,b,n1,n2,w=sys.argv[1:]; print(json.dumps({"stage":"callgrind","label":l,"instr_per_job":round((int(b)-int(a))/(int(n2)-int(n1))),"n1":int(n1),"n2":int(n2),"workers":w,"i_n1":int(a),"i_n2":int(b)}))' \
    "$1" "$2" "$3" "$CG_N1" "$CG_N2" "$CG_WORKER_DESC"
}

stage_callgrind() {
  command -v valgrind >/dev/null && command -v callgrind_control >/dev/null \
    || { fail_stage callgrind all "valgrind is not installed"; return; }
  if command -v php >/dev/null; then
    CG_WORKER_CMD="php $PHP_WORKER"; CG_WORKER_DESC="$CG_WORKERS php"
  else
    CG_WORKER_CMD="python3 $ROOT/examples/workers/worker.py"; CG_WORKER_DESC="$CG_WORKERS python"
  fi
  local a b c1 c2
  a="$(cg_coyote_run "$CG_N1" "$WORK/cg1" 2>"$WORK/stage.err")" && b="$(cg_coyote_run "$CG_N2" "$WORK/cg2" 2>>"$WORK/stage.err")" \
    || { fail_stage callgrind coyote "$(tail -c 300 "$WORK/stage.err" | tr '\n"\\' '  /')"; a=""; }
  if [[ -n "$a" ]]; then
    record callgrind push_batch cg_json push_batch "${a% *}" "${b% *}"
    record callgrind drain cg_json drain "${a#* }" "${b#* }"
  fi
  c1="$(cg_ceiling_run "$CG_N1" "$WORK/cgc1" 2>"$WORK/stage.err")" && c2="$(cg_ceiling_run "$CG_N2" "$WORK/cgc2" 2>>"$WORK/stage.err")" \
    && record callgrind ceiling cg_json ceiling "$c1" "$c2" \
    || fail_stage callgrind ceiling "$(tail -c 300 "$WORK/stage.err" | tr '\n"\\' '  /')"
  # COYOTE_BENCH_CALLGRIND_KEEP=DIR keeps the profiles for callgrind_annotate (cg2/cg.out.2: drain).
  if [[ -n "${COYOTE_BENCH_CALLGRIND_KEEP:-}" ]]; then
    mkdir -p "$COYOTE_BENCH_CALLGRIND_KEEP" && cp -r "$WORK"/cg1 "$WORK"/cg2 "$WORK"/cgc1 "$WORK"/cgc2 "$COYOTE_BENCH_CALLGRIND_KEEP"/
  fi
}

main() {
  : > "$RAW"
  build
  install_peers
  machine_json >> "$RAW"
  record pingpong start "$BUILD/bin/coyote-bench-ceiling" --pingpong start
  log "N=$N workers=${WORKERS[*]} repetitions=$REPS quick=$QUICK"
  local rep
  for rep in $(seq 1 "$REPS"); do
    log "repetition $rep of $REPS"
    wanted throughput && stage_throughput
    wanted push && stage_push
    wanted beanstalkd && stage_beanstalkd
    wanted beanstalk && stage_beanstalk
    wanted bullmq && stage_bullmq
    wanted gearman && stage_gearman
    wanted amqp && stage_amqp
    wanted nats && stage_nats
    wanted redis && stage_redis
    wanted sqlite_push && stage_sqlite_push
    wanted sqlite_drain && stage_sqlite_drain
    wanted flow && stage_flow
  done
  wanted sqlite_disk && stage_sqlite_disk
  wanted latency && stage_latency
  wanted memory && stage_memory
  wanted micro && stage_micro
  wanted scrape && stage_scrape
  wanted callgrind && stage_callgrind
  record pingpong end "$BUILD/bin/coyote-bench-ceiling" --pingpong end
  mkdir -p "$RESULTS"
  python3 "$ROOT/bench/report.py" "$RAW" "$RESULTS" "$REF_WORKERS"
  if command -v gnuplot >/dev/null; then
    gnuplot "$RESULTS/chart.gp" >&2 || log "gnuplot failed: no chart"
  else
    log "gnuplot not installed: no chart"
  fi
  log "wrote $RESULTS/results.md, results.json, chart.png"
  cat "$RESULTS/results.md"
  # The harness's own check: every stage produced a number (never how big it is).
  if [[ -z "$STAGES" ]]; then python3 "$ROOT/bench/check_results.py" "$RESULTS/results.json" >&2; fi
}

main "$@"
