<?php
// Goridge frames on a worker's stdin/stdout (12-byte header, CRC-32 over bytes 0-5, options),
// standard library only. Shared by worker.php and the benchmark's no-op worker.

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
