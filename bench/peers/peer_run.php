<?php
// What every PHP peer benchmark shares: the job payload, running P copies of this script as workers
// and the one JSON result line, so the peers differ only in how they talk to their server.
declare(strict_types=1);

/** The ~100-byte JSON body every system in the benchmark carries. */
function payload(int $i): string
{
    $p = '{"n":' . $i . ',"pad":"';
    return $p . str_repeat('x', max(0, 98 - strlen($p))) . '"}';
}

/**
 * Starts P `php SCRIPT work PORT` processes and waits for them. Each prints "COUNT LAST_DONE_TIME".
 * @return array{int, float} jobs done by all workers, and the realtime the last one finished
 */
function run_workers(string $script, int $port, int $p, float $t0): array
{
    $procs = [];
    $pipes = [];
    for ($i = 0; $i < $p; $i++) {
        $procs[] = proc_open([PHP_BINARY, $script, 'work', (string)$port], [1 => ['pipe', 'w']], $pipes[$i]);
    }
    $done = 0;
    $last = $t0;
    foreach ($procs as $i => $proc) {
        [$cnt, $t] = explode(' ', trim(stream_get_contents($pipes[$i][1])));
        proc_close($proc);
        $done += (int)$cnt;
        $last = max($last, (float)$t);
    }
    return [$done, $last];
}

function print_result(string $label, string $version, int $p, int $n, float $secs): void
{
    printf("{\"stage\":\"peer\",\"label\":\"%s\",\"version\":%s,\"workers\":%d,\"jobs\":%d,\"seconds\":%.6f,\"jobs_per_s\":%.1f}\n",
        $label, json_encode($version), $p, $n, $secs, $n / $secs);
}
