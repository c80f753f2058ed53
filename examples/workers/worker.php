<?php
// Raw goridge jobs consumer using only PHP's standard library (php-cli 8.2): no Composer.
// It speaks the same frames as spiral/roadrunner-jobs, so either works under Coyote.
// Payload conventions match worker.py: {"sleep":0.1}, {"fail":true}, {"error":"boom"}, {"restart":true}.

declare(strict_types=1);

require __DIR__ . '/goridge.php';

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
