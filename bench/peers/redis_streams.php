<?php
// Redis Streams consumed directly by PHP (php-redis), the setup Coyote's redis driver replaces:
// `bench PORT N P VERSION` XADDs N ~100-byte jobs (the driver's entry fields: id, job, payload;
// pipelined), creates a consumer group, then starts P workers that XREADGROUP 10 entries at a time
// and XACK each job after decoding it, until the stream is drained; prints one JSON line (jobs/s
// from worker start to the last ack). `work PORT` is one worker.
declare(strict_types=1);

require __DIR__ . '/peer_run.php';

const STREAM = 'bench:php';
const GROUP = 'php';

function conn(int $port): Redis
{
    $r = new Redis();
    if (!$r->connect('127.0.0.1', $port, 5.0)) {
        fwrite(STDERR, "cannot connect to redis on $port\n");
        exit(1);
    }
    return $r;
}

$mode = $argv[1] ?? '';
$port = (int)($argv[2] ?? 6379);
if ($mode === 'work') {
    $r = conn($port);
    $me = 'w' . getmypid();
    $n = 0;
    $last = microtime(true);
    while (true) {
        $got = $r->xReadGroup(GROUP, $me, [STREAM => '>'], 10);
        if (!$got || empty($got[STREAM])) {
            break;  // drained (no BLOCK: an empty read means nothing is left)
        }
        foreach ($got[STREAM] as $id => $fields) {
            $job = json_decode($fields['payload'], true);  // a real worker decodes its job
            if ($r->xAck(STREAM, GROUP, [$id]) !== 1) {
                fwrite(STDERR, "XACK $id failed\n");
                exit(1);
            }
            $n++;
        }
        $last = microtime(true);
    }
    echo "$n $last\n";
    exit(0);
}
if ($mode !== 'bench') {
    fwrite(STDERR, "usage: redis_streams.php bench PORT N P VERSION | work PORT\n");
    exit(2);
}
$n = (int)$argv[3];
$p = (int)$argv[4];
$version = $argv[5] ?? '';
$r = conn($port);
$r->del(STREAM);
for ($i = 0; $i < $n; $i += 1000) {
    $pipe = $r->multi(Redis::PIPELINE);
    for ($j = $i; $j < min($n, $i + 1000); $j++) {
        $pipe->xAdd(STREAM, '*', ['id' => sprintf('00000000-0000-4000-8000-%012d', $j), 'job' => 'App\\Job\\Noop', 'payload' => payload($j)]);
    }
    $pipe->exec();
}
$r->xGroup('CREATE', STREAM, GROUP, '0');
$t0 = microtime(true);
[$done, $last] = run_workers(__FILE__, $port, $p, $t0);
if ($done !== $n) {
    fwrite(STDERR, "workers acked $done of $n jobs\n");
    exit(1);
}
print_result('php-redis', $version, $p, $n, $last - $t0);
$r->del(STREAM);
