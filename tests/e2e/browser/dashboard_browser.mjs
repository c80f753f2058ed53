// Drives the real dashboard in Debian's chromium through playwright-core (no bundled browser).
// Run by test_dashboard_browser.py with COYOTE_DASHBOARD_URL, COYOTE_SCREENSHOTS, COYOTE_SOURCE_DIR
// and COYOTE_MARKER_DIR; prints one "ok <step>" line per passed step and exits non-zero on the
// first failure (with a screenshot of the page at that moment).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const source = process.env.COYOTE_SOURCE_DIR;
const require = createRequire(path.join(source, 'dashboard', 'package.json'));
const { chromium } = require('playwright-core');

const url = process.env.COYOTE_DASHBOARD_URL;
const shots = process.env.COYOTE_SCREENSHOTS;
const markers = process.env.COYOTE_MARKER_DIR;
fs.mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.COYOTE_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync',
  ],
  // playwright refuses --user-data-dir with launch(): it gives every launch a fresh temporary
  // profile of its own (and removes it on close), which is what the flag was for.
});
let page;
let failed = false;
const consoleErrors = [];

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok ${name}`);
  } catch (e) {
    failed = true;
    console.log(`FAIL ${name}: ${e.stack || e}`);
    if (page) await page.screenshot({ path: path.join(shots, `failed-${name}.png`), fullPage: true }).catch(() => {});
    throw e;
  }
}

function expectText(locator, re, timeout = 10000) {
  return locator.filter({ hasText: re }).first().waitFor({ timeout });
}

async function shot(name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  page = await context.newPage();
  page.on('dialog', (d) => d.accept());
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  // The page must work with no network: every request goes to the host itself.
  await page.route('**/*', (route) => (route.request().url().startsWith(url) ? route.continue() : route.abort()));

  await step('overview', async () => {
    await page.goto(url + '/#/overview');
    await page.getByTestId('page-overview').waitFor();
    await expectText(page.getByTestId('conn'), /live/);
    await page.getByTestId('chart').waitFor();
    await shot('overview');
  });

  await step('pause-resume', async () => {
    await page.goto(url + '/#/pipelines');
    await expectText(page.getByTestId('pipeline-state-work'), /active/);
    await page.getByTestId('pause-work').click();
    await expectText(page.getByTestId('pipeline-state-work'), /paused/);
    await shot('pipelines-paused');
    await page.getByTestId('resume-work').click();
    await expectText(page.getByTestId('pipeline-state-work'), /active/);
    await shot('pipelines');
  });

  await step('push-count-moves', async () => {
    const processed = Number(await page.getByTestId('pipeline-processed-work').textContent());
    await page.goto(url + '/#/push');
    await page.getByTestId('push-pipeline').selectOption('work');
    await page.getByTestId('push-payload').fill('hello');
    await page.getByTestId('push-submit').click();
    await expectText(page.getByTestId('notice-ok'), /pushed to work/);
    await shot('push');
    await page.goto(url + '/#/pipelines');
    await expectText(page.getByTestId('pipeline-processed-work'), new RegExp(`^${processed + 1}$`));
    // A delayed job waits in its pipeline: the delayed count goes 0 -> 1.
    await expectText(page.getByTestId('pipeline-delayed-work'), /^0$/);
    await page.goto(url + '/#/push');
    await page.getByTestId('push-pipeline').selectOption('work');
    await page.getByTestId('push-delay').fill('600');
    await page.getByTestId('push-submit').click();
    await expectText(page.getByTestId('notice-ok'), /pushed to work/);
    await page.goto(url + '/#/pipelines');
    await expectText(page.getByTestId('pipeline-delayed-work'), /^1$/);
  });

  await step('workers', async () => {
    await page.goto(url + '/#/workers');
    await page.getByTestId('workers-jobs.pool').locator('tbody tr').nth(1).waitFor();
    await shot('workers');
  });

  let runningId = '';
  let stoppedPid = 0;
  await step('workers-current-job', async () => {
    // recording_worker.py checks in the progress text over RPC, sleeps, then acks with the result.
    await page.goto(url + '/#/push');
    await page.getByTestId('push-pipeline').selectOption('work');
    await page.getByTestId('push-job').fill('Report');
    await page.getByTestId('push-payload').fill(JSON.stringify({ progress: ['step 1 of 2'], sleep: 6, result: { rows: 42 } }));
    await page.getByTestId('push-submit').click();
    await expectText(page.getByTestId('notice-ok'), /pushed to work/);
    await page.goto(url + '/#/workers');
    const progress = page.locator('[data-testid^="job-progress-"]').first();
    await expectText(progress, /step 1 of 2/, 10000);
    const testid = await progress.getAttribute('data-testid');
    stoppedPid = Number(testid.replace('job-progress-', ''));
    runningId = (await page.getByTestId(`job-id-${stoppedPid}`).textContent()).trim();
    if (!/^dashboard-[0-9a-f]+$/.test(runningId)) throw new Error('running job id not shown: ' + runningId);
    await expectText(page.getByTestId(`job-${stoppedPid}`), /Report on work/);
    await shot('workers-current-job');
  });

  await step('stop-worker-replaced', async () => {
    // Graceful: the worker finishes its job, leaves, and the pool starts a new one.
    await page.getByTestId(`stop-${stoppedPid}`).click();
    await expectText(page.getByTestId('notice-ok'), new RegExp(`worker ${stoppedPid} stopping`));
    const table = page.getByTestId('workers-jobs.pool');
    await page.getByTestId(`stop-${stoppedPid}`).waitFor({ state: 'detached', timeout: 20000 });
    await table.locator('tbody tr').nth(1).waitFor({ timeout: 20000 });
    const rows = await table.locator('tbody tr td:first-child').allTextContents();
    if (rows.length !== 2 || rows.includes(String(stoppedPid))) throw new Error('pool not back to 2 new workers: ' + rows.join(','));
    await shot('workers-after-stop');
  });

  await step('schedules-trigger', async () => {
    await page.goto(url + '/#/schedules');
    await expectText(page.getByTestId('schedule-state-nightly'), /active/);
    await expectText(page.getByTestId('schedule-fired-nightly'), /^0$/);
    await page.getByTestId('schedule-trigger-nightly').click();
    await expectText(page.getByTestId('notice-ok'), /nightly triggered/);
    await expectText(page.getByTestId('schedule-fired-nightly'), /^1$/);
    await page.getByTestId('schedule-pause-nightly').click();
    await expectText(page.getByTestId('schedule-state-nightly'), /paused/);
    await page.getByTestId('schedule-resume-nightly').click();
    await expectText(page.getByTestId('schedule-state-nightly'), /active/);
    await shot('schedules');
  });

  await step('results-lookup', async () => {
    await page.goto(url + '/#/results');
    await page.getByTestId('result-id').fill(runningId);
    await page.getByTestId('result-lookup').click();
    await expectText(page.getByTestId('result-state'), /succeeded/);
    await expectText(page.getByTestId('result-value'), /"rows": 42/);
    await expectText(page.getByTestId('result-progress'), /step 1 of 2/);
    await shot('results');
  });

  const xss = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';
  await step('dead-xss-shown-as-text', async () => {
    await page.goto(url + '/#/push');
    await page.getByTestId('push-pipeline').selectOption('doomed');
    await page.getByTestId('push-job').fill('Evil<script>window.__xss=3</script>');
    const script = JSON.stringify({
      reply: '{"type":1,"data":{"message":"bad input <script>window.__xss=4</script>","requeue":false}}',
      once_marker: path.join(markers, 'browser-once'),
      note: xss,
    });
    await page.getByTestId('push-payload').fill(script);
    await page.getByTestId('push-headers').fill('X-Evil: <script>window.__xss=5</script>');
    await page.getByTestId('push-submit').click();
    await expectText(page.getByTestId('notice-ok'), /pushed to doomed/);
    await page.goto(url + '/#/dead');
    const link = page.locator('[data-testid^="dead-open-"]').first();
    await link.waitFor({ timeout: 15000 });
    await link.click();
    await expectText(page.getByTestId('dead-payload'), /window\.__xss=1/);
    const shown = await page.getByTestId('dead-payload').textContent();
    if (shown !== script) throw new Error('payload not shown verbatim: ' + shown);
    await expectText(page.getByTestId('dead-headers'), /<script>window\.__xss=5<\/script>/);
    const injected = await page.evaluate(() => ({ xss: window.__xss, scripts: document.querySelectorAll('main script, main img').length }));
    if (injected.xss !== undefined || injected.scripts !== 0) throw new Error('markup was executed: ' + JSON.stringify(injected));
    await shot('dead-detail');
  });

  await step('replay-runs', async () => {
    const before = await (await page.request.get(url + '/api/overview')).json();
    // The row's own Replay button (not "Replay all").
    await page.getByTestId('dead-table').locator('[data-testid^="dead-replay-"]').first().click();
    await expectText(page.getByTestId('notice-ok'), /dashboard-[0-9a-f]+ replayed/);
    await page.getByTestId('dead-table').locator('tbody tr').first().waitFor({ state: 'detached', timeout: 10000 });
    const deadline = Date.now() + 15000;
    for (;;) {
      const o = await (await page.request.get(url + '/api/overview')).json();
      if (o.totals.processed > before.totals.processed) break;
      if (Date.now() > deadline) throw new Error('the replayed job did not run');
      await new Promise((r) => setTimeout(r, 200));
    }
    if (await page.getByTestId('notice-error').count()) throw new Error('an error is shown after the replay');
    await shot('dead-after-replay');
  });

  await step('metrics-per-class', async () => {
    await page.goto(url + '/#/metrics');
    // work/dashboard.Test: the jobs the push steps sent, run and acked.
    const processed = page.getByTestId('class-processed-work/dashboard.Test');
    await processed.waitFor({ timeout: 10000 });
    const api = await (await page.request.get(url + '/api/job-classes')).json();
    const row = api.classes.find((c) => c.pipeline === 'work' && c.job === 'dashboard.Test');
    if (!row || row.processed < 1) throw new Error('no acked work/dashboard.Test class: ' + JSON.stringify(api));
    await expectText(processed, new RegExp(`^${row.processed}$`));
    // The doomed job failed once, then its replay ran: both counted, its name shown as text.
    const evil = 'doomed/Evil<script>window.__xss=3</script>';
    await expectText(page.getByTestId('class-job-' + evil), /^Evil<script>window\.__xss=3<\/script>$/);
    await expectText(page.getByTestId('class-failed-' + evil), /^1$/);
    await expectText(page.getByTestId('class-processed-' + evil), /^1$/);
    const injected = await page.evaluate(() => ({ xss: window.__xss, scripts: document.querySelectorAll('main script, main img').length }));
    if (injected.xss !== undefined || injected.scripts !== 0) throw new Error('markup was executed: ' + JSON.stringify(injected));
    await shot('metrics');
  });

  await step('phone-layout', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const p = await phone.newPage();
    await p.goto(url + '/#/overview');
    await p.getByTestId('page-overview').waitFor();
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    if (width > 390) throw new Error(`overview scrolls sideways on a phone: ${width}px`);
    await p.screenshot({ path: path.join(shots, 'phone-overview.png'), fullPage: true });
    await p.goto(url + '/#/pipelines');
    await p.getByTestId('pipelines-table').waitFor();
    await p.screenshot({ path: path.join(shots, 'phone-pipelines.png'), fullPage: true });
    await phone.close();
  });

  if (process.env.COYOTE_STOP_HOST_PID) {
    await step('host-unreachable', async () => {
      await page.goto(url + '/#/overview');
      await expectText(page.getByTestId('conn'), /live/);
      process.kill(Number(process.env.COYOTE_STOP_HOST_PID), 'SIGTERM');
      await page.getByTestId('unreachable').waitFor({ state: 'visible', timeout: 15000 });
      await shot('unreachable');
    });
  }

  await step('no-console-errors', async () => {
    // Failed requests after the host stopped are expected; anything else is a bug.
    const real = consoleErrors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to load resource|EventSource/.test(e));
    if (real.length) throw new Error(real.join('\n'));
  });
} catch {
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
