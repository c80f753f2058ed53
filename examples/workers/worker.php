<?php
// Raw goridge jobs consumer using only PHP's standard library (php-cli 8.2): no Composer.
// It speaks the same frames as spiral/roadrunner-jobs, so either works under Coyote.
// Payload conventions match worker.py: {"sleep":0.1}, {"fail":true}, {"error":"boom"}, {"restart":true}.

declare(strict_types=1);

const CONTROL = 0x01;
const CODEC_JSON = 0x08;
const ERROR_FLAG = 0x40;

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

/** @return array{flags:int, options:int[], payload:string}|null */
function receive($in): ?array
{
    $h = read_exact($in, 12);
    if ($h === null) {
        return null;
    }
    $u = unpack('Cb0/Cflags/Vlen/Vcrc/Cstream/Cres', $h);
    $words = $u['b0'] & 0x0f;
    $rest = ($words - 3) * 4 + $u['len'];
    $body = $rest > 0 ? read_exact($in, $rest) : '';
    if ($body === null) {
        return null;
    }
    $options = [];
    for ($i = 0; $i < $words - 3; $i++) {
        $options[] = unpack('V', substr($body, $i * 4, 4))[1];
    }
    return ['flags' => $u['flags'], 'options' => $options, 'payload' => substr($body, ($words - 3) * 4)];
}

function send($out, string $bytes): void
{
    fwrite($out, $bytes);
    fflush($out);
}

$in = STDIN;
$out = STDOUT;
while (($f = receive($in)) !== null) {
    if ($f['flags'] & CONTROL) {
        $msg = json_decode($f['payload'], true);
        if (!empty($msg['stop'])) {
            exit(0);
        }
        if (!empty($msg['pid'])) {
            send($out, frame(CONTROL, json_encode(['pid' => getmypid()])));
            continue;
        }
        fwrite(STDERR, "undefined control frame\n");
        exit(1);
    }
    $ctxLen = $f['options'][0] ?? 0;
    $context = json_decode(substr($f['payload'], 0, $ctxLen), true) ?: [];
    $payload = substr($f['payload'], $ctxLen);
    fwrite(STDERR, sprintf("job %s (%s) from %s\n", $context['id'] ?? '?', $context['job'] ?? '?', $context['pipeline'] ?? '?'));
    $spec = ($payload !== '' && $payload[0] === '{') ? (json_decode($payload, true) ?: []) : [];
    if (!empty($spec['sleep'])) {
        usleep((int)($spec['sleep'] * 1e6));
    }
    if (!empty($spec['error'])) {
        send($out, frame(ERROR_FLAG, (string)$spec['error']));
    } elseif (!empty($spec['restart'])) {
        send($out, frame(0, '{"stop":true}', [13]));
    } elseif (!empty($spec['fail'])) {
        send($out, frame(0, json_encode(['type' => 3, 'data' => ['message' => 'failed on request', 'requeue' => false, 'delay_seconds' => 0]]), [0]));
    } else {
        send($out, frame(0, '{"type":2,"data":[]}', [0]));
    }
}
exit(0);
