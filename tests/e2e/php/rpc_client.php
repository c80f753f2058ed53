<?php
// A goridge RPC client for end-to-end tests, speaking what spiral/roadrunner-jobs sends:
// frames with two options (seq from 1, method length), the proto codec (0x80) for jobs.*, JSON
// (0x08) for informer.*. The few jobs.v1 messages are encoded by hand (varint + length-delimited),
// so no generated PHP classes or protobuf extension are needed.
//
// Library use:  require 'rpc_client.php'; $c = new CoyoteRpcClient('tcp://127.0.0.1:6001');
//               $c->push('test', 'App\Job', 'hi');
// CLI use:      php rpc_client.php [--address tcp://127.0.0.1:6001] COMMAND ARGS...
//               (address also from $RR_RPC); prints {"ok":true,"result":...} or
//               {"ok":false,"error":"..."} and exits 0 / 1.

declare(strict_types=1);

final class RpcServiceException extends RuntimeException {}
final class RpcTransportException extends RuntimeException {}

final class Proto
{
    public static function varint(int $v): string
    {
        $out = '';
        // Negative int64 values are 10-byte two's complement varints.
        for ($i = 0; $i < 10; $i++) {
            $byte = $v & 0x7f;
            $v = ($v >> 7) & (PHP_INT_MAX >> 6);
            if ($v === 0) {
                return $out . chr($byte);
            }
            $out .= chr($byte | 0x80);
        }
        return $out;
    }

    public static function bytesField(int $field, string $value): string
    {
        return self::varint(($field << 3) | 2) . self::varint(strlen($value)) . $value;
    }

    public static function varintField(int $field, int $value): string
    {
        return $value === 0 ? '' : self::varint($field << 3) . self::varint($value);
    }

    public static function stringField(int $field, string $value): string
    {
        return $value === '' ? '' : self::bytesField($field, $value);
    }

    /** @return list<array{int,int,int|string}> [field, wire type, value] */
    public static function decode(string $data): array
    {
        $fields = [];
        $pos = 0;
        $len = strlen($data);
        while ($pos < $len) {
            $key = self::readVarint($data, $pos);
            $field = $key >> 3;
            $wire = $key & 7;
            if ($wire === 0) {
                $fields[] = [$field, 0, self::readVarint($data, $pos)];
            } elseif ($wire === 2) {
                $n = self::readVarint($data, $pos);
                if ($pos + $n > $len) {
                    throw new RpcTransportException('truncated protobuf field');
                }
                $fields[] = [$field, 2, substr($data, $pos, $n)];
                $pos += $n;
            } else {
                throw new RpcTransportException("unsupported protobuf wire type $wire");
            }
        }
        return $fields;
    }

    private static function readVarint(string $data, int &$pos): int
    {
        $result = 0;
        $shift = 0;
        while (true) {
            if ($pos >= strlen($data)) {
                throw new RpcTransportException('truncated varint');
            }
            $b = ord($data[$pos++]);
            $result |= ($b & 0x7f) << $shift;
            if (($b & 0x80) === 0) {
                return $result;
            }
            $shift += 7;
        }
    }
}

final class CoyoteRpcClient
{
    public const CODEC_RAW = 0x04;
    public const CODEC_JSON = 0x08;
    public const ERROR = 0x40;
    public const CODEC_PROTO = 0x80;

    /** @var resource */
    private $socket;
    private int $seq = 1;

    public function __construct(private readonly string $address)
    {
        $socket = @stream_socket_client($address, $errno, $errstr, 5.0);
        if ($socket === false) {
            throw new RpcTransportException("cannot connect to $address: $errstr");
        }
        stream_set_timeout($socket, 30);
        $this->socket = $socket;
    }

    /** Sends one call and returns the reply body; an ERROR reply throws RpcServiceException. */
    public function call(string $method, string $body, int $codec = self::CODEC_PROTO): string
    {
        $seq = $this->seq;
        $this->write(self::frame($codec, [$seq, strlen($method)], $method . $body));
        [$flags, $options, $payload] = $this->readFrame();
        if (count($options) !== 2 || $options[0] !== $seq) {
            throw new RpcTransportException('invalid RPC header, expected seq ' . $seq);
        }
        $this->seq++;
        $reply = substr($payload, $options[1]);
        if (($flags & self::ERROR) !== 0) {
            // Same message shape as spiral/goridge's ServiceException.
            throw new RpcServiceException("Error '$reply' on {$this->address}");
        }
        return $reply;
    }

    public static function frame(int $flags, array $options, string $payload): string
    {
        $hl = 3 + count($options);
        $head = chr((1 << 4) | $hl) . chr($flags) . pack('V', strlen($payload));
        $header = $head . pack('V', crc32($head)) . "\0\0";
        foreach ($options as $o) {
            $header .= pack('V', $o);
        }
        return $header . $payload;
    }

    private function write(string $bytes): void
    {
        $off = 0;
        while ($off < strlen($bytes)) {
            $n = fwrite($this->socket, substr($bytes, $off));
            if ($n === false || $n === 0) {
                throw new RpcTransportException('cannot write to ' . $this->address);
            }
            $off += $n;
        }
    }

    private function readExact(int $n): string
    {
        $out = '';
        while (strlen($out) < $n) {
            $chunk = fread($this->socket, $n - strlen($out));
            if ($chunk === false || $chunk === '') {
                throw new RpcTransportException('connection closed by ' . $this->address);
            }
            $out .= $chunk;
        }
        return $out;
    }

    /** @return array{int, list<int>, string} */
    private function readFrame(): array
    {
        $h = $this->readExact(12);
        $hl = ord($h[0]) & 0x0f;
        $flags = ord($h[1]);
        $len = unpack('V', substr($h, 2, 4))[1];
        $options = [];
        if ($hl > 3) {
            $options = array_values(unpack('V*', $this->readExact(($hl - 3) * 4)));
        }
        $payload = $len > 0 ? $this->readExact($len) : '';
        return [$flags, $options, $payload];
    }

    // --- jobs.v1 -----------------------------------------------------------------------------

    /** @param array<string, list<string>> $headers */
    public static function job(string $pipeline, string $name, string $payload, string $id = '',
                               array $headers = [], int $priority = 0, int $delay = 0,
                               bool $autoAck = false): string
    {
        $id = $id !== '' ? $id : self::uuid4();
        $job = Proto::stringField(1, $name) . Proto::stringField(2, $id) . Proto::stringField(3, $payload);
        foreach ($headers as $k => $values) {
            if ($values === []) {
                continue;  // the PHP client sends only non-empty header values
            }
            $hv = '';
            foreach ($values as $v) {
                $hv .= Proto::bytesField(1, (string)$v);
            }
            $job .= Proto::bytesField(4, Proto::stringField(1, (string)$k) . Proto::bytesField(2, $hv));
        }
        $options = Proto::varintField(1, $priority) . Proto::stringField(2, $pipeline)
            . Proto::varintField(3, $delay) . Proto::varintField(6, $autoAck ? 1 : 0);
        return $job . Proto::bytesField(5, $options);
    }

    public function push(string $pipeline, string $name, string $payload, string $id = '',
                         array $headers = [], int $priority = 0, int $delay = 0): void
    {
        $this->call('jobs.Push', Proto::bytesField(1, self::job($pipeline, $name, $payload, $id, $headers, $priority, $delay)));
    }

    /** @param list<string> $jobs encoded with job() */
    public function pushBatch(array $jobs): void
    {
        $body = '';
        foreach ($jobs as $job) {
            $body .= Proto::bytesField(1, $job);
        }
        $this->call('jobs.PushBatch', $body);
    }

    private static function pipelines(array $names): string
    {
        $body = '';
        foreach ($names as $n) {
            $body .= Proto::bytesField(1, $n);
        }
        return $body;
    }

    /** @return list<string> */
    private static function decodePipelines(string $body): array
    {
        $out = [];
        foreach (Proto::decode($body) as [$field, $wire, $value]) {
            if ($field === 1 && $wire === 2) {
                $out[] = $value;
            }
        }
        return $out;
    }

    public function pause(string ...$names): void { $this->call('jobs.Pause', self::pipelines($names)); }
    public function resume(string ...$names): void { $this->call('jobs.Resume', self::pipelines($names)); }

    /** @return list<string> */
    public function list(): array { return self::decodePipelines($this->call('jobs.List', '')); }

    /** @return list<string> */
    public function destroy(string ...$names): array
    {
        return self::decodePipelines($this->call('jobs.Destroy', self::pipelines($names)));
    }

    /** @param array<string, string> $options e.g. [name, driver, priority, prefetch] */
    public function declare(array $options): void
    {
        $body = '';
        foreach ($options as $k => $v) {
            $body .= Proto::bytesField(1, Proto::stringField(1, (string)$k) . Proto::stringField(2, (string)$v));
        }
        $this->call('jobs.Declare', $body);
    }

    /** @return list<array<string, mixed>> */
    public function stat(): array
    {
        $names = [1 => 'pipeline', 2 => 'driver', 3 => 'queue', 4 => 'active', 5 => 'delayed',
                  6 => 'reserved', 7 => 'ready', 8 => 'priority'];
        $out = [];
        foreach (Proto::decode($this->call('jobs.Stat', '')) as [$field, $wire, $value]) {
            if ($field !== 1 || $wire !== 2) {
                continue;
            }
            $stat = ['pipeline' => '', 'driver' => '', 'queue' => '', 'active' => 0, 'delayed' => 0,
                     'reserved' => 0, 'ready' => false, 'priority' => 0];
            foreach (Proto::decode($value) as [$f, , $v]) {
                if (isset($names[$f])) {
                    $stat[$names[$f]] = $f === 7 ? (bool)$v : $v;
                }
            }
            $out[] = $stat;
        }
        return $out;
    }

    public function nope(): string { return $this->call('jobs.Nope', ''); }

    /** @return array<string, mixed> informer.Workers("jobs") over JSON, as PHP's WorkerPool does */
    public function workers(string $plugin = 'jobs'): array
    {
        return json_decode($this->call('informer.Workers', json_encode($plugin), self::CODEC_JSON), true);
    }

    // --- metrics.* as spiral/roadrunner-metrics sends them (JSON codec) -----------------------

    /** Metrics::add/sub/observe/set: {"name","value","labels"}; the reply is JSON true. */
    public function metric(string $op, string $name, float $value, array $labels = []): bool
    {
        $body = json_encode(compact('name', 'value', 'labels'));
        return json_decode($this->call('metrics.' . $op, $body, self::CODEC_JSON), true) === true;
    }

    /**
     * Metrics::declare: {"name", "collector": Collector::toArray()}, e.g. for a histogram
     * ['namespace' => '', 'subsystem' => '', 'type' => 'histogram', 'help' => '...',
     *  'labels' => ['type'], 'buckets' => [0.1, 1.0]].
     */
    public function metricsDeclare(string $name, array $collector): bool
    {
        $body = json_encode(['name' => $name, 'collector' => $collector]);
        return json_decode($this->call('metrics.Declare', $body, self::CODEC_JSON), true) === true;
    }

    /** Metrics::unregister: the name as a JSON string. */
    public function metricsUnregister(string $name): bool
    {
        return json_decode($this->call('metrics.Unregister', json_encode($name), self::CODEC_JSON), true) === true;
    }

    /** status.Status / status.Ready with a status.v1.Request{plugin}: {code, message}. */
    public function status(string $method, string $plugin, int $codec = self::CODEC_PROTO): array
    {
        if ($codec === self::CODEC_JSON) {
            $reply = json_decode($this->call('status.' . $method, json_encode(['plugin' => $plugin]), $codec), true);
            return ['code' => (int)($reply['code'] ?? 0), 'message' => (string)($reply['message'] ?? '')];
        }
        $out = ['code' => 0, 'message' => ''];
        foreach (Proto::decode($this->call('status.' . $method, Proto::stringField(1, $plugin))) as [$f, , $v]) {
            if ($f === 1) {
                $out['code'] = (int)$v;
            } elseif ($f === 2) {
                $out['message'] = (string)$v;
            }
        }
        return $out;
    }

    public static function uuid4(): string
    {
        $b = random_bytes(16);
        $b[6] = chr((ord($b[6]) & 0x0f) | 0x40);
        $b[8] = chr((ord($b[8]) & 0x3f) | 0x80);
        return vsprintf('%s%s-%s-%s-%s-%s%s%s', str_split(bin2hex($b), 4));
    }
}

function coyote_rpc_cli(array $argv): int
{
    array_shift($argv);
    $address = getenv('RR_RPC') ?: 'tcp://127.0.0.1:6001';
    if (($argv[0] ?? '') === '--address') {
        $address = $argv[1] ?? $address;
        $argv = array_slice($argv, 2);
    }
    $cmd = array_shift($argv);
    $usage = 'usage: php rpc_client.php [--address ADDR] push PIPE JOB PAYLOAD [ID] | push-batch PIPE JOB PAYLOAD... | '
        . 'pause P... | resume P... | list | declare NAME DRIVER [k=v...] | destroy P... | stat | nope | workers | '
        . 'metrics-declare NAME COLLECTOR_JSON | metrics-{add,sub,observe,set} NAME VALUE [LABEL...] | '
        . 'metrics-unregister NAME | metrics-bulk OP NAME COUNT (one call per distinct label value) | '
        . 'status PLUGIN [json] | ready PLUGIN [json]';
    try {
        $c = new CoyoteRpcClient($address);
        switch ($cmd) {
            case 'push':
                if (count($argv) < 3) {
                    throw new InvalidArgumentException($usage);
                }
                $id = $argv[3] ?? CoyoteRpcClient::uuid4();
                $c->push($argv[0], $argv[1], $argv[2], $id);
                $result = ['id' => $id];
                break;
            case 'push-batch':
                $pipe = array_shift($argv);
                $name = array_shift($argv);
                $jobs = array_map(fn($p) => CoyoteRpcClient::job((string)$pipe, (string)$name, $p), $argv);
                $c->pushBatch($jobs);
                $result = ['pushed' => count($jobs)];
                break;
            case 'pause': $c->pause(...$argv); $result = true; break;
            case 'resume': $c->resume(...$argv); $result = true; break;
            case 'list': $result = $c->list(); break;
            case 'destroy': $result = $c->destroy(...$argv); break;
            case 'stat': $result = $c->stat(); break;
            case 'nope': $result = $c->nope(); break;
            case 'workers': $result = $c->workers(); break;
            case 'metrics-declare':
                $result = $c->metricsDeclare($argv[0] ?? '', json_decode($argv[1] ?? '{}', true));
                break;
            case 'metrics-add':
            case 'metrics-sub':
            case 'metrics-observe':
            case 'metrics-set':
                $op = ucfirst(substr($cmd, strlen('metrics-')));
                $result = $c->metric($op, $argv[0] ?? '', (float)($argv[1] ?? 0), array_slice($argv, 2));
                break;
            case 'metrics-unregister': $result = $c->metricsUnregister($argv[0] ?? ''); break;
            case 'metrics-bulk':
                // COUNT calls with distinct label values; counts the refused ones.
                [$op, $name, $count] = [ucfirst($argv[0] ?? 'set'), $argv[1] ?? '', (int)($argv[2] ?? 0)];
                $refused = 0;
                $last = '';
                for ($i = 0; $i < $count; $i++) {
                    try {
                        $c->metric($op, $name, 1.0, ['v' . $i]);
                    } catch (RpcServiceException $e) {
                        $refused++;
                        $last = $e->getMessage();
                    }
                }
                $result = ['refused' => $refused, 'last_error' => $last];
                break;
            case 'status':
            case 'ready':
                $codec = ($argv[1] ?? '') === 'json' ? CoyoteRpcClient::CODEC_JSON : CoyoteRpcClient::CODEC_PROTO;
                $result = $c->status(ucfirst($cmd), $argv[0] ?? '', $codec);
                break;
            case 'declare':
                $opts = ['name' => $argv[0] ?? '', 'driver' => $argv[1] ?? ''];
                foreach (array_slice($argv, 2) as $kv) {
                    [$k, $v] = explode('=', $kv, 2) + [1 => ''];
                    $opts[$k] = $v;
                }
                $c->declare($opts);
                $result = true;
                break;
            default:
                throw new InvalidArgumentException($usage);
        }
        echo json_encode(['ok' => true, 'result' => $result]), "\n";
        return 0;
    } catch (Throwable $e) {
        echo json_encode(['ok' => false, 'error' => $e->getMessage(), 'type' => get_class($e)]), "\n";
        return 1;
    }
}

if (PHP_SAPI === 'cli' && realpath($_SERVER['SCRIPT_FILENAME'] ?? '') === __FILE__) {
    exit(coyote_rpc_cli($argv));
}
