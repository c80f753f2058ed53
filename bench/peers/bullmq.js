// BullMQ peer on redis-server: `node bullmq.js PORT N CONCURRENCY VERSION` adds N ~100-byte jobs
// (addBulk, 1000 per call), then one Worker with the given concurrency runs a no-op processor;
// prints one JSON line (jobs/s from worker start to the N-th completion).
'use strict';
const { Queue, Worker } = require('bullmq');

const [port, n, concurrency, version] = [Number(process.argv[2]), Number(process.argv[3]),
  Number(process.argv[4] || 100), process.argv[5] || ''];
const connection = { host: '127.0.0.1', port };
const name = 'bench' + process.pid;

function payload(i) {
  const p = '{"n":' + i + ',"pad":"';
  return JSON.parse(p + 'x'.repeat(Math.max(0, 98 - p.length)) + '"}');
}

async function main() {
  const queue = new Queue(name, { connection });
  for (let i = 0; i < n; i += 1000) {
    const jobs = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) {
      jobs.push({ name: 'noop', data: payload(j), opts: { removeOnComplete: true, removeOnFail: true } });
    }
    await queue.addBulk(jobs);
  }
  let done = 0;
  const t0 = process.hrtime.bigint();
  const finished = new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`only ${done} of ${n} jobs completed in 600 s`)), 600000);
    const worker = new Worker(name, async () => {}, { connection, concurrency });
    worker.on('completed', () => {
      if (++done === n) {
        clearTimeout(guard);
        resolve(worker);
      }
    });
    worker.on('failed', (_job, err) => reject(err));
  });
  const worker = await finished;
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  console.log(JSON.stringify({ stage: 'peer', label: 'bullmq', version, workers: 1, concurrency, jobs: n,
    seconds: secs, jobs_per_s: n / secs }));
}

main().then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });
