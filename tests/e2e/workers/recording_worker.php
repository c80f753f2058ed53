<?php
// The PHP twin of recording_worker.py for end-to-end tests (stdlib only, the goridge.php frames).
// Every job is appended as one JSON line to $COYOTE_E2E_RECORD: {"pid","context","body","time"}.
// The answer is chosen by the payload when it is a JSON object:
//   {"reply": "<raw response body>"}   send exactly these bytes (ack/nack/requeue/...)
//   {"once_marker": "/path", ...}      apply the script only while the marker file is absent
//   {"sleep": seconds}                 sleep, then ack
// otherwise it acks ({"type":2,"data":[]}, what spiral/roadrunner-jobs' ack() sends). With
// $COYOTE_E2E_ACKS set, the id of every acked job is appended to that file first.
declare(strict_types=1);

require __DIR__ . '/../../../examples/workers/goridge.php';

$record = getenv('COYOTE_E2E_QUIET') ? '' : (getenv('COYOTE_E2E_RECORD') ?: '');
$acks = getenv('COYOTE_E2E_ACKS') ?: '';
$ack = frame(0, '{"type":2,"data":[]}', [0]);

function append_line(string $path, string $line): void
{
    // Several workers append to one file: the lock keeps their lines whole.
    file_put_contents($path, $line . "\n", FILE_APPEND | LOCK_EX);
}

while (($f = receive(STDIN)) !== null) {
    if ($f['flags'] & CONTROL) {
        $msg = json_decode($f['payload'], true);
        if (!empty($msg['stop'])) {
            exit(0);
        }
        send(STDOUT, frame(CONTROL, json_encode(['pid' => getmypid()])));
        continue;
    }
    $ctxLen = $f['options'][0] ?? 0;
    $contextJson = substr($f['payload'], 0, $ctxLen);
    $context = json_decode($contextJson, true) ?: [];
    $payload = substr($f['payload'], $ctxLen);
    if ($record !== '') {
        append_line($record, json_encode(['pid' => getmypid(), 'context' => $contextJson,
            'body' => $payload, 'time' => microtime(true)], JSON_INVALID_UTF8_SUBSTITUTE));
    }
    $script = ($payload !== '' && $payload[0] === '{') ? json_decode($payload, true) : null;
    if (is_array($script) && !empty($script['once_marker'])) {
        if (file_exists($script['once_marker'])) {
            $script = null;
        } else {
            touch($script['once_marker']);
        }
    }
    if (is_array($script) && isset($script['reply'])) {
        send(STDOUT, frame(0, (string)$script['reply'], [0]));
        continue;
    }
    if (is_array($script) && !empty($script['sleep'])) {
        usleep((int)($script['sleep'] * 1e6));
    }
    if ($acks !== '') {
        append_line($acks, (string)($context['id'] ?? ''));
    }
    send(STDOUT, $ack);
}
exit(0);
