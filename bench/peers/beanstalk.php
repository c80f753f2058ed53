<?php
// beanstalkd peer: the same workload as Coyote's drain stage over the raw beanstalk protocol (PHP
// stdlib sockets). `bench PORT N P VERSION` puts N ~100-byte jobs, then starts P workers that
// reserve/delete until the tube is empty, and prints one JSON line (jobs/s from worker start to the
// last delete). `work PORT` is one worker: prints the realtime of its last delete and its count.
declare(strict_types=1);

require __DIR__ . '/peer_run.php';

function conn(int $port)
{
    $s = stream_socket_client("tcp://127.0.0.1:$port", $errno, $err, 5);
    if ($s === false) {
        fwrite(STDERR, "cannot connect to beanstalkd: $err\n");
        exit(1);
    }
    stream_set_timeout($s, 30);
    return $s;
}

function cmd($s, string $line): string
{
    fwrite($s, $line . "\r\n");
    $r = fgets($s);
    if ($r === false) {
        fwrite(STDERR, "beanstalkd closed the connection\n");
        exit(1);
    }
    return rtrim($r, "\r\n");
}


$mode = $argv[1] ?? '';
$port = (int)($argv[2] ?? 11300);
if ($mode === 'work') {
    $s = conn($port);
    $n = 0;
    $last = microtime(true);
    while (true) {
        $r = cmd($s, 'reserve-with-timeout 0');
        if (strncmp($r, 'RESERVED', 8) !== 0) {
            break;  // TIMED_OUT: the tube is empty
        }
        [, $id, $len] = explode(' ', $r);
        $body = stream_get_contents($s, (int)$len + 2);
        $job = json_decode(substr($body, 0, (int)$len), true);  // a real worker decodes its job
        if (cmd($s, "delete $id") !== 'DELETED') {
            fwrite(STDERR, "delete $id failed\n");
            exit(1);
        }
        $n++;
        $last = microtime(true);
    }
    echo "$n $last\n";
    exit(0);
}
if ($mode !== 'bench') {
    fwrite(STDERR, "usage: beanstalk.php bench PORT N P VERSION | work PORT\n");
    exit(2);
}
$n = (int)$argv[3];
$p = (int)$argv[4];
$version = $argv[5] ?? '';
$s = conn($port);
for ($i = 0; $i < $n; $i++) {
    $body = payload($i);
    $r = cmd($s, 'put 0 0 60 ' . strlen($body) . "\r\n" . $body);
    if (strncmp($r, 'INSERTED', 8) !== 0) {
        fwrite(STDERR, "put failed: $r\n");
        exit(1);
    }
}
$t0 = microtime(true);
[$done, $last] = run_workers(__FILE__, $port, $p, $t0);
if ($done !== $n) {
    fwrite(STDERR, "workers deleted $done of $n jobs\n");
    exit(1);
}
print_result('beanstalkd', $version, $p, $n, $last - $t0);
