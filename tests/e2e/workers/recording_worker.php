<?php
// The PHP twin of recording_worker.py, for end-to-end tests that want real PHP workers: every job
// is appended as one JSON line to $COYOTE_E2E_RECORD (pid, context, body), unless
// $COYOTE_E2E_QUIET is set; with $COYOTE_E2E_ACKS set its id is appended there before the ack.
// A JSON payload {"sleep": seconds} sleeps first. Every job is acked ({"type":2}).
declare(strict_types=1);

require __DIR__ . '/../../../examples/workers/goridge.php';

$record = getenv('COYOTE_E2E_QUIET') ? '' : (getenv('COYOTE_E2E_RECORD') ?: '');
$acks = getenv('COYOTE_E2E_ACKS') ?: '';
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
    $contextJson = substr($f['payload'], 0, $ctxLen);
    $context = json_decode($contextJson, true) ?: [];
    $body = substr($f['payload'], $ctxLen);
    if ($record !== '') {
        file_put_contents($record, json_encode(['pid' => getmypid(), 'context' => $contextJson,
            'body' => $body, 'time' => microtime(true)], JSON_INVALID_UTF8_SUBSTITUTE) . "\n",
            FILE_APPEND | LOCK_EX);
    }
    $spec = ($body !== '' && $body[0] === '{') ? (json_decode($body, true) ?: []) : [];
    if (!empty($spec['sleep'])) {
        usleep((int)($spec['sleep'] * 1e6));
    }
    if ($acks !== '') {
        file_put_contents($acks, ($context['id'] ?? '') . "\n", FILE_APPEND | LOCK_EX);
    }
    send(STDOUT, $ack);
}
exit(0);
