<?php
// A jobs worker that returns results and reports progress (Coyote extensions; jobs.results must
// be set in .rr.yaml). Raw goridge on PHP's standard library, like worker.php.
//
// With the unchanged RoadRunner PHP SDK (spiral/roadrunner-jobs + spiral/goridge) the same is:
//   $consumer = new Spiral\RoadRunner\Jobs\Consumer();
//   $worker   = Spiral\RoadRunner\Worker::create();
//   $rpc      = Spiral\Goridge\RPC\RPC::create(Spiral\RoadRunner\Environment::fromGlobals()->getRPCAddress())
//                   ->withCodec(new Spiral\Goridge\RPC\Codec\JsonCodec());
//   while ($task = $consumer->waitTask()) {
//       $rpc->call('coyote.JobProgress', ['id' => $task->getId(), 'progress' => 'half way']);
//       // $task->ack() sends {"type":2,"data":[]}; to attach a result, answer through the worker:
//       $worker->respond(new Spiral\RoadRunner\Payload(
//           json_encode(['type' => 2, 'data' => ['result' => ['sum' => 42]]])));
//   }
// Producers read it with coyote.JobResult or `coyote jobs result <id> --wait 10s`.
//
// Payload: {"add":[1,2,3]} -> result {"sum":6}, with a progress check-in per number.

declare(strict_types=1);

require __DIR__ . '/goridge.php';

/** One goridge RPC call (JSON codec) to RR_RPC; returns the decoded reply, throws on an error. */
function rpc_call(string $method, array $request)
{
    static $sock = null;
    static $seq = 0;
    if ($sock === null) {
        $address = getenv('RR_RPC') ?: '';
        $sock = stream_socket_client($address, $errno, $errstr, 5.0);
        if ($sock === false) {
            throw new RuntimeException("cannot reach RR_RPC ($address): $errstr");
        }
    }
    $body = json_encode($request);
    send($sock, frame(0x08, $method . $body, [++$seq, strlen($method)]));
    $reply = receive($sock);
    if ($reply === null) {
        throw new RuntimeException('the host closed the RPC connection');
    }
    $data = substr($reply['payload'], $reply['options'][1] ?? 0);
    if ($reply['flags'] & ERROR_FLAG) {
        throw new RuntimeException($data);
    }
    return json_decode($data, true);
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
        exit(1);
    }
    $ctxLen = $f['options'][0] ?? 0;
    $context = json_decode(substr($f['payload'], 0, $ctxLen), true) ?: [];
    $spec = json_decode(substr($f['payload'], $ctxLen), true) ?: [];
    $sum = 0;
    foreach (($spec['add'] ?? []) as $i => $n) {
        $sum += $n;
        rpc_call('coyote.JobProgress', ['id' => $context['id'], 'progress' => ($i + 1) . ' added']);
    }
    send($out, frame(0, json_encode(['type' => 2, 'data' => ['result' => ['sum' => $sum]]]), [0]));
}
exit(0);
