<?php
// jobs.Declare exactly as spiral/roadrunner-jobs 4.x sends it for `new AMQPCreateInfo(...)`:
// AMQPCreateInfo::toArray (array_merge order; consume_all and queue_headers always present,
// queue_headers an empty PHP array unless given) stringified by Jobs::toStringOfStringMap
// (int -> decimal, bool -> "true"/"false", array -> json_encode: [] for an empty one).
//
//   php amqp_create_info.php ADDRESS NAME QUEUE ROUTING_KEY EXCHANGE_TYPE [EXCHANGE] [QUEUE_HEADERS_JSON]
// Prints the map it declared as JSON; exits 1 with the server's error otherwise.
declare(strict_types=1);

require __DIR__ . '/rpc_client.php';

[, $address, $name, $queue, $routingKey, $exchangeType] = $argv;
$exchange = $argv[6] ?? 'amqp.default';
$queueHeaders = isset($argv[7]) ? json_decode($argv[7], true, 512, JSON_THROW_ON_ERROR) : [];

$info = array_merge(
    ['name' => $name, 'driver' => 'amqp', 'priority' => 10],  // CreateInfo::toArray
    [
        'prefetch' => 100,
        'queue' => $queue,
        'queue_auto_delete' => false,
        'exchange' => $exchange,
        'exchange_durable' => false,
        'exchange_type' => $exchangeType,  // ExchangeType enum value: direct|topics|headers|fanout
        'exchange_auto_delete' => false,
        'routing_key' => $routingKey,
        'exclusive' => false,
        'multiple_ack' => false,
        'requeue_on_fail' => false,
        'durable' => false,
        'consume_all' => false,
        'queue_headers' => $queueHeaders,
        'delete_queue_on_stop' => false,
        'redial_timeout' => 60,
    ],
);

$marshalled = [];
foreach ($info as $key => $value) {
    $marshalled[$key] = match (true) {
        is_int($value) => (string)$value,
        is_string($value) => $value,
        is_bool($value) => $value ? 'true' : 'false',
        is_array($value) => json_encode($value, JSON_THROW_ON_ERROR),
    };
}

try {
    (new CoyoteRpcClient($address))->declare($marshalled);
} catch (Throwable $e) {
    fwrite(STDERR, $e->getMessage() . "\n");
    exit(1);
}
echo json_encode($marshalled), "\n";
