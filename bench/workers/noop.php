<?php
// Benchmark worker: acknowledges every job at once. Stdlib only. It decodes the context JSON as
// spiral/roadrunner-jobs does, so it costs what a real consumer's framing costs and nothing more.
// BENCH_LAT_DIR set: also appends "<job index> <receive time, realtime us>" per job to DIR/<pid>.txt.
declare(strict_types=1);

require __DIR__ . '/../../examples/workers/goridge.php';

$latDir = getenv('BENCH_LAT_DIR') ?: '';
$lat = $latDir !== '' ? fopen($latDir . '/' . getmypid() . '.txt', 'a') : null;
$ack = frame(0, '{"type":2,"data":[]}', [0]);
while (($f = receive(STDIN)) !== null) {
    if ($f['flags'] & CONTROL) {
        if (!empty(json_decode($f['payload'], true)['stop'])) {
            exit(0);
        }
        send(STDOUT, frame(CONTROL, json_encode(['pid' => getmypid()])));
        continue;
    }
    $ctxLen = $f['options'][0] ?? 0;
    $context = json_decode(substr($f['payload'], 0, $ctxLen), true);
    if ($lat !== null) {
        fwrite($lat, (int)substr($context['id'] ?? '0', 24) . ' ' . (int)(microtime(true) * 1e6) . "\n");
        fflush($lat);
    }
    send(STDOUT, $ack);
}
exit(0);
