<?php
// NATS JetStream peer in PHP (stdlib sockets, the NATS text protocol): what a PHP shop runs
// without a job host. `bench PORT STREAM SUBJECT P BATCH` creates the durable pull consumer
// "direct-php" on STREAM and starts P workers; each pulls BATCH messages at a time, decodes every
// job (RoadRunner's JSON body, base64 payload) and acks it, until the stream has nothing left.
// `work PORT` is one worker. bench/run.sh times the run from the consumer's side (nats_peer watch).
declare(strict_types=1);

require __DIR__ . '/peer_run.php';

const CONSUMER = 'direct-php';

function nats_connect(int $port)
{
    $ctx = stream_context_create(['socket' => ['tcp_nodelay' => true]]);
    $s = stream_socket_client("tcp://127.0.0.1:$port", $errno, $err, 5, STREAM_CLIENT_CONNECT, $ctx);
    if ($s === false) {
        fwrite(STDERR, "cannot connect to nats-server: $err\n");
        exit(1);
    }
    stream_set_timeout($s, 30);
    fgets($s);  // INFO
    fwrite($s, 'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}' . "\r\nPING\r\n");
    while (($line = fgets($s)) !== false && strncmp($line, 'PONG', 4) !== 0) {
    }
    return $s;
}

/** Next message for us: [subject, reply, headers block, payload]; answers PINGs. */
function next_msg($s): array
{
    while (true) {
        $line = fgets($s);
        if ($line === false) {
            fwrite(STDERR, "nats-server closed the connection\n");
            exit(1);
        }
        if (strncmp($line, 'PING', 4) === 0) {
            fwrite($s, "PONG\r\n");
            continue;
        }
        $p = explode(' ', rtrim($line, "\r\n"));
        if ($p[0] === 'MSG') {
            $len = (int)end($p);
            $data = stream_get_contents($s, $len + 2);
            return [$p[1], count($p) === 5 ? $p[3] : '', '', substr($data, 0, $len)];
        }
        if ($p[0] === 'HMSG') {
            $hlen = (int)$p[count($p) - 2];
            $total = (int)end($p);
            $data = stream_get_contents($s, $total + 2);
            return [$p[1], count($p) === 6 ? $p[3] : '', substr($data, 0, $hlen), substr($data, $hlen, $total - $hlen)];
        }
        if (strncmp($line, '-ERR', 4) === 0) {
            fwrite(STDERR, "nats-server: $line");
            exit(1);
        }
    }
}

$mode = $argv[1] ?? '';
$port = (int)($argv[2] ?? 4222);
if ($mode === 'work') {
    [$stream, $batch] = [getenv('NATS_STREAM'), (int)getenv('NATS_BATCH')];
    $s = nats_connect($port);
    $inbox = '_INBOX.' . bin2hex(random_bytes(8));
    fwrite($s, "SUB $inbox 1\r\n");
    $next = "\$JS.API.CONSUMER.MSG.NEXT.$stream." . CONSUMER;
    $req = json_encode(['batch' => $batch, 'no_wait' => true]);
    $n = 0;
    $last = microtime(true);
    $acks = '';
    while (true) {
        // This batch's acks go out with the next pull request (one write).
        fwrite($s, $acks . "PUB $next $inbox " . strlen($req) . "\r\n$req\r\n");
        $acks = '';
        $got = 0;
        while ($got < $batch) {
            [, $reply, $hdr, $body] = next_msg($s);
            if ($body === '' && $hdr !== '') {
                break;  // a status (404 no messages, 408): this request is over
            }
            $job = json_decode($body, true);  // a real worker decodes its job
            $payload = base64_decode($job['payload'] ?? '');
            $acks .= "PUB $reply 0\r\n\r\n";  // an empty reply is +ACK
            $got++;
        }
        $n += $got;
        $last = microtime(true);
        if ($got === 0) {
            break;  // the stream is drained
        }
    }
    fwrite($s, $acks . "PING\r\n");
    while (($line = fgets($s)) !== false && strncmp($line, 'PONG', 4) !== 0) {
    }
    echo "$n $last\n";
    exit(0);
}
if ($mode !== 'bench') {
    fwrite(STDERR, "usage: nats_direct.php bench PORT STREAM SUBJECT P BATCH | work PORT\n");
    exit(2);
}
[$stream, $subject, $p, $batch] = [$argv[3], $argv[4], (int)$argv[5], (int)$argv[6]];
$s = nats_connect($port);
fwrite($s, "SUB _INBOX.setup 1\r\n");
$cfg = json_encode(['stream_name' => $stream, 'config' => ['durable_name' => CONSUMER,
    'ack_policy' => 'explicit', 'deliver_policy' => 'all', 'filter_subject' => $subject,
    'max_ack_pending' => 1000000]]);
fwrite($s, "PUB \$JS.API.CONSUMER.DURABLE.CREATE.$stream." . CONSUMER . " _INBOX.setup " . strlen($cfg) . "\r\n$cfg\r\n");
[, , , $answer] = next_msg($s);
if (strpos($answer, '"error"') !== false) {
    fwrite(STDERR, "cannot create the consumer: $answer\n");
    exit(1);
}
putenv("NATS_STREAM=$stream");
putenv("NATS_BATCH=$batch");
[$done] = run_workers(__FILE__, $port, $p, microtime(true));
fwrite(STDERR, "nats_direct.php: $p workers acked $done jobs\n");
exit(0);
