<?php
// Benchmark worker: acknowledges every job at once. Stdlib only. It decodes the context JSON as
// spiral/roadrunner-jobs does, so it costs what a real consumer's framing costs and nothing more.
// BENCH_LAT_DIR set: also appends "<job index> <receive time, realtime us>" per job to DIR/<pid>.txt.
declare(strict_types=1);

$in = STDIN;
$out = STDOUT;
$latDir = getenv('BENCH_LAT_DIR') ?: '';
$lat = $latDir !== '' ? fopen($latDir . '/' . getmypid() . '.txt', 'a') : null;

function frame(int $flags, string $payload, array $options = []): string
{
    $first6 = pack('CCV', (1 << 4) | (3 + count($options)), $flags, strlen($payload));
    $header = $first6 . pack('VCC', crc32($first6), 0, 0);
    foreach ($options as $o) {
        $header .= pack('V', $o);
    }
    return $header . $payload;
}

function read_exact($in, int $n): ?string
{
    $data = '';
    while (strlen($data) < $n) {
        $chunk = fread($in, $n - strlen($data));
        if ($chunk === false || $chunk === '') {
            return null;
        }
        $data .= $chunk;
    }
    return $data;
}

$ack = frame(0, '{"type":2,"data":[]}', [0]);
while (($h = read_exact($in, 12)) !== null) {
    $u = unpack('Cb0/Cflags/Vlen', $h);
    $words = $u['b0'] & 0x0f;
    $rest = ($words - 3) * 4 + $u['len'];
    $body = $rest > 0 ? read_exact($in, $rest) : '';
    if ($body === null) {
        break;
    }
    $optBytes = ($words - 3) * 4;
    if ($u['flags'] & 0x01) {
        $msg = json_decode(substr($body, $optBytes), true);
        if (!empty($msg['stop'])) {
            exit(0);
        }
        fwrite($out, frame(0x01, json_encode(['pid' => getmypid()])));
        fflush($out);
        continue;
    }
    $ctxLen = $optBytes > 0 ? unpack('V', $body)[1] : 0;
    $context = json_decode(substr($body, $optBytes, $ctxLen), true);
    if ($lat !== null) {
        fwrite($lat, (int)substr($context['id'] ?? '0', 24) . ' ' . (int)(microtime(true) * 1e6) . "\n");
        fflush($lat);
    }
    fwrite($out, $ack);
    fflush($out);
}
exit(0);
