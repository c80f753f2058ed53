<?php
// gearmand peer (php-gearman): `bench PORT N P VERSION` submits N ~100-byte background jobs, then
// starts P workers that run a no-op function until the server has nothing left for 300 ms, and
// prints one JSON line (jobs/s from worker start to the last job done). `work PORT` is one worker.
declare(strict_types=1);

require __DIR__ . '/peer_run.php';


$mode = $argv[1] ?? '';
$port = (int)($argv[2] ?? 4730);
if ($mode === 'work') {
    $n = 0;
    $last = microtime(true);
    $w = new GearmanWorker();
    $w->addServer('127.0.0.1', $port);
    $w->setTimeout(300);
    $w->addFunction('noop', function (GearmanJob $job) use (&$n, &$last) {
        json_decode($job->workload(), true);  // a real worker decodes its job
        $n++;
        $last = microtime(true);
        return '';
    });
    for ($spins = 0; $spins < 100000000; $spins++) {
        if (@$w->work()) {
            continue;
        }
        break;  // GEARMAN_TIMEOUT: nothing left for 300 ms (or the server went away)
    }
    echo "$n $last\n";
    exit(0);
}
if ($mode !== 'bench') {
    fwrite(STDERR, "usage: gearman.php bench PORT N P VERSION | work PORT\n");
    exit(2);
}
$n = (int)$argv[3];
$p = (int)$argv[4];
$version = $argv[5] ?? '';
$c = new GearmanClient();
$c->addServer('127.0.0.1', $port);
for ($i = 0; $i < $n; $i++) {
    $c->doBackground('noop', payload($i));
    if ($c->returnCode() !== GEARMAN_SUCCESS) {
        fwrite(STDERR, "doBackground failed: " . $c->error() . "\n");
        exit(1);
    }
}
$t0 = microtime(true);
[$done, $last] = run_workers(__FILE__, $port, $p, $t0);
if ($done !== $n) {
    fwrite(STDERR, "workers ran $done of $n jobs\n");
    exit(1);
}
print_result('gearman', $version, $p, $n, $last - $t0);
