<?php
// RabbitMQ stages of the benchmark, with php-amqp (Debian php-amqp):
//   fill PORT QUEUE N             publish N ~100-byte jobs in RoadRunner's format (rr_* headers)
//                                 to the default exchange with routing key QUEUE, confirmed
//   bench PORT N P VERSION        the peer: a queue filled with N jobs, then P PHP processes
//                                 consuming it directly (basic.consume, prefetch 100 each, one
//                                 ack per job) until it is empty; prints one JSON line
//   work PORT QUEUE               one such consumer: prints "COUNT LAST_ACK_TIME"
//   coyote RPC QUEUE PIPELINE N LATDIR PORT P [PID]
//                                 Coyote's side: fill QUEUE, jobs.Resume PIPELINE, wait until
//                                 jobs.Stat shows it empty and idle; jobs/s from the resume to
//                                 the last job's receive time the noop workers wrote to LATDIR
declare(strict_types=1);

require __DIR__ . '/peer_run.php';
require __DIR__ . '/../../tests/e2e/php/rpc_client.php';

function amqp_channel(int $port, float $readTimeout = 0.0): AMQPChannel
{
    $c = new AMQPConnection(['host' => '127.0.0.1', 'port' => $port, 'login' => 'guest',
                             'password' => 'guest', 'read_timeout' => $readTimeout]);
    $c->connect();
    return new AMQPChannel($c);
}

function declare_queue(AMQPChannel $ch, string $name): AMQPQueue
{
    $q = new AMQPQueue($ch);
    $q->setName($name);
    $q->setFlags(AMQP_NOPARAM);  // php-amqp's default is auto-delete; Coyote declares it without
    $q->declareQueue();
    return $q;
}

// utime + stime of a process, in microseconds (clock ticks are 100 Hz on Linux).
function cpu_of(int $pid): float
{
    $f = @file_get_contents("/proc/$pid/stat");
    if ($f === false) {
        return 0.0;
    }
    $fields = explode(' ', substr($f, strrpos($f, ')') + 2));
    return ((float)$fields[11] + (float)$fields[12]) * 1e4;
}

// The broker's CPU (its Erlang VM, pids in BENCH_BROKER_PIDS), in microseconds; 0 when unknown.
function broker_cpu(): float
{
    $pids = array_filter(explode(' ', getenv('BENCH_BROKER_PIDS') ?: ''));
    return array_sum(array_map(fn($p) => cpu_of((int)$p), $pids));
}

function fill(int $port, string $queue, int $n): void
{
    $ch = amqp_channel($port);
    declare_queue($ch, $queue);
    $ch->confirmSelect();
    // waitForConfirm() returns once a callback answers false: when everything published so far
    // is confirmed (delivery tags count the publishes on this channel).
    $published = 0;
    $confirmed = 0;
    $ch->setConfirmCallback(
        function (int $tag, bool $multiple) use (&$confirmed, &$published): bool {
            $confirmed = max($confirmed, $tag);
            return $confirmed < $published;
        },
        function (): bool {
            fwrite(STDERR, "the broker refused a publish\n");
            exit(1);
        },
    );
    $ex = new AMQPExchange($ch);  // the default exchange routes by queue name
    for ($i = 0; $i < $n; $i++) {
        $ex->publish(payload($i), $queue, AMQP_NOPARAM, [
            'content_type' => 'application/octet-stream', 'delivery_mode' => 2,
            'headers' => ['rr_id' => 'bench-' . $i, 'rr_job' => 'Bench\\Noop', 'rr_pipeline' => 'bench',
                          'rr_headers' => '{}', 'rr_delay' => 0, 'rr_priority' => 10, 'rr_auto_ack' => false],
        ]);
        $published++;
        if ($published % 1000 === 0) {
            $ch->waitForConfirm(30.0);
        }
    }
    if ($confirmed < $published) {
        $ch->waitForConfirm(30.0);
    }
}

$mode = $argv[1] ?? '';
if ($mode === 'fill') {
    fill((int)$argv[2], $argv[3], (int)$argv[4]);
    exit(0);
}
if ($mode === 'work') {
    $ch = amqp_channel((int)$argv[2], 1.0);
    $ch->setPrefetchCount(100);
    $q = declare_queue($ch, $argv[3]);
    // Connected and declared: the parent fills the queue, then starts the clock and says go, so
    // neither PHP's start-up nor the connection is timed (Coyote's workers are running too).
    echo "ready\n";
    fgets(STDIN);
    $start = getrusage();
    $n = 0;
    $last = microtime(true);
    try {
        $q->consume(function (AMQPEnvelope $e, AMQPQueue $q) use (&$n, &$last): bool {
            json_decode($e->getBody(), true);  // a real worker decodes its job
            $q->ack($e->getDeliveryTag());
            $n++;
            $last = microtime(true);
            return true;
        });
    } catch (AMQPException $e) {
        // read_timeout: the queue stayed empty for a second
    }
    $us = fn(array $u): float => $u['ru_utime.tv_sec'] * 1e6 + $u['ru_utime.tv_usec'] + $u['ru_stime.tv_sec'] * 1e6 + $u['ru_stime.tv_usec'];
    $cpu = $us(getrusage()) - $us($start);
    echo "$n $last $cpu\n";
    exit(0);
}
if ($mode === 'bench') {
    [$port, $n, $p, $version] = [(int)$argv[2], (int)$argv[3], (int)$argv[4], $argv[5] ?? ''];
    $queue = 'bench_php_amqp_' . getmypid();
    $procs = [];
    $pipes = [];
    for ($i = 0; $i < $p; $i++) {
        $procs[] = proc_open([PHP_BINARY, __FILE__, 'work', (string)$port, $queue], [0 => ['pipe', 'r'], 1 => ['pipe', 'w']], $pipes[$i]);
        if (trim((string)fgets($pipes[$i][1])) !== 'ready') {
            fwrite(STDERR, "a php-amqp consumer did not start\n");
            exit(1);
        }
    }
    fill($port, $queue, $n);
    $broker0 = broker_cpu();
    $t0 = microtime(true);
    for ($i = 0; $i < $p; $i++) {
        fwrite($pipes[$i][0], "go\n");
        fflush($pipes[$i][0]);
    }
    $done = 0;
    $last = $t0;
    $cpu = 0.0;
    foreach ($procs as $i => $proc) {
        [$cnt, $t, $us] = explode(' ', trim(stream_get_contents($pipes[$i][1])));
        proc_close($proc);
        $done += (int)$cnt;
        $last = max($last, (float)$t);
        $cpu += (float)$us;
    }
    if ($done !== $n) {
        fwrite(STDERR, "php-amqp consumers acked $done of $n jobs\n");
        exit(1);
    }
    printf("{\"stage\":\"amqp_peer\",\"label\":\"php-amqp\",\"version\":%s,\"workers\":%d,\"jobs\":%d,\"seconds\":%.6f,\"jobs_per_s\":%.1f,\"consumer_cpu_us_per_job\":%.1f,\"broker_cpu_us_per_job\":%.1f}\n",
        json_encode($version . ', php-amqp ' . phpversion('amqp')), $p, $n, $last - $t0, $n / ($last - $t0), $cpu / $n,
        (broker_cpu() - $broker0) / $n);
    exit(0);
}
if ($mode === 'coyote') {
    [$rpc, $queue, $pipeline, $n, $latDir, $port, $p] = [$argv[2], $argv[3], $argv[4], (int)$argv[5], $argv[6], (int)$argv[7], (int)$argv[8]];
    $pid = (int)($argv[9] ?? 0);
    fill($port, $queue, $n);
    $host0 = $pid ? cpu_of($pid) : 0.0;
    $broker0 = broker_cpu();
    $c = new CoyoteRpcClient($rpc);
    $t0 = microtime(true);
    $c->resume($pipeline);
    $deadline = $t0 + 600;
    $lines = 0;
    while (microtime(true) < $deadline) {
        usleep(20000);
        $stat = array_values(array_filter($c->stat(), fn($s) => $s['pipeline'] === $pipeline))[0];
        if ($stat['active'] === 0 && $stat['reserved'] === 0) {
            $lines = 0;
            $last = 0;
            foreach (glob("$latDir/*.txt") as $f) {
                foreach (file($f, FILE_IGNORE_NEW_LINES) as $l) {
                    $lines++;
                    $last = max($last, (int)explode(' ', $l)[1]);
                }
            }
            if ($lines >= $n) {
                $secs = $last / 1e6 - $t0;
                $host = $pid ? (cpu_of($pid) - $host0) / $n : 0.0;
                printf("{\"stage\":\"amqp_drain\",\"label\":\"P=%d\",\"jobs\":%d,\"seconds\":%.6f,\"jobs_per_s\":%.1f,\"host_cpu_us_per_job\":%.1f,\"broker_cpu_us_per_job\":%.1f}\n",
                    $p, $n, $secs, $n / $secs, $host, (broker_cpu() - $broker0) / $n);
                exit(0);
            }
        }
    }
    fwrite(STDERR, "coyote did not drain $n amqp jobs in time (saw $lines)\n");
    exit(1);
}
fwrite(STDERR, "usage: amqp.php fill|bench|work|coyote ...\n");
exit(2);
