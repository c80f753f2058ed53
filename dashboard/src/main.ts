// The Coyote dashboard: hash-routed pages over the JSON API, live overview over SSE.
import './style.css';
import {
  ApiError,
  Unreachable,
  get,
  post,
  session,
  type BatchResult,
  type DeadDetail,
  type DeadList,
  type JobClassList,
  type JobResult,
  type Overview,
  type Pipeline,
  type Pool,
  type RatePoint,
  type RunningJob,
  type ScheduleList,
} from './api';
import { chart } from './chart';
import { clear, fmtBytes, fmtDuration, fmtNumber, fmtTime, h, table } from './dom';

const main = document.getElementById('main') as HTMLElement;
const banner = document.getElementById('banner') as HTMLElement;
const conn = document.getElementById('conn') as HTMLElement;

let overview: Overview | null = null;
let history: RatePoint[] = [];
let page = '';
let refreshTimer = 0;
const deadQuery = { q: '', store: '', offset: 0, limit: 25 };
let deadOpen: { store: string; id: string } | null = null;
let resultId = '';

function setReachable(ok: boolean, why = ''): void {
  banner.hidden = ok;
  conn.textContent = ok ? 'live' : 'unreachable';
  conn.className = ok ? 'conn ok' : 'conn bad';
  if (!ok && why) conn.title = why;
}

function notice(text: string, kind: 'ok' | 'error' = 'ok'): HTMLElement {
  return h('p', { class: `notice ${kind}`, 'data-testid': `notice-${kind}`, role: 'status' }, text);
}

function showError(where: HTMLElement, e: unknown): void {
  if (e instanceof Unreachable) {
    setReachable(false, e.message);
    return;
  }
  const msg = e instanceof ApiError ? e.message : String(e);
  where.prepend(notice(msg, 'error'));
}

async function act(where: HTMLElement, what: () => Promise<unknown>, ok: string): Promise<void> {
  try {
    const result = await what();
    // A re-render while the request ran replaced the page the action started on: its notice goes
    // to the page shown now (the render below carries it), not to one nobody sees.
    if (!where.isConnected && main.firstElementChild instanceof HTMLElement) where = main.firstElementChild;
    const failed = (result as BatchResult | null)?.failed;
    if (Array.isArray(failed) && failed.length > 0) {
      where.prepend(notice(failed.map((f) => `${f.id}: ${f.error}`).join('; '), 'error'));
    } else {
      where.prepend(notice(ok));
    }
  } catch (e) {
    showError(where, e);
  }
  await render();
}

function button(label: string, onclick: () => void, extra: Record<string, string> = {}): HTMLElement {
  return h('button', { type: 'button', onclick: () => onclick(), ...extra }, label);
}

// ---- overview ------------------------------------------------------------------------------

function card(label: string, value: string, testid: string): HTMLElement {
  return h('div', { class: 'card' }, h('div', { class: 'value', 'data-testid': testid }, value), h('div', { class: 'label' }, label));
}

function renderOverview(root: HTMLElement): void {
  clear(root);
  if (!overview) {
    root.append(h('p', {}, 'Loading…'));
    return;
  }
  const o = overview;
  const t = o.totals;
  root.append(
    h('h1', {}, 'Overview'),
    h(
      'div',
      { class: 'cards' },
      card('pushed', fmtNumber(t.pushed), 'total-pushed'),
      card('processed', fmtNumber(t.processed), 'total-processed'),
      card('failed', fmtNumber(t.failed), 'total-failed'),
      card('dead letters', fmtNumber(o.dead_letters), 'dead-letters'),
      card('queued', fmtNumber(o.queued), 'queued'),
      card('in flight', fmtNumber(o.in_flight), 'in-flight'),
      card('delayed', fmtNumber(o.delayed), 'delayed'),
      card('workers busy', `${o.workers.busy} / ${o.workers.total}`, 'workers-busy'),
      card('pipelines', `${o.pipelines.total} (${o.pipelines.paused} paused)`, 'pipelines'),
      card('uptime', fmtDuration(o.uptime_seconds), 'uptime'),
    ),
    h(
      'p',
      { class: 'rates', 'data-testid': 'rates' },
      `now: ${fmtNumber(o.rate.pushed)} pushed/s · ${fmtNumber(o.rate.processed)} processed/s · ${fmtNumber(o.rate.failed)} failed/s`,
    ),
    chart(history),
    h('p', { class: 'muted' }, `Coyote ${o.version} · retried ${t.retried} · requeued ${t.requeued} · push errors ${t.push_errors} · dropped ${t.dropped}`),
  );
}

// ---- pipelines -----------------------------------------------------------------------------

async function renderPipelines(root: HTMLElement): Promise<void> {
  const { pipelines } = await get<{ pipelines: Pipeline[] }>('/api/pipelines');
  clear(root);
  const rows = pipelines.map((p) => [
    h('span', { 'data-testid': `pipeline-name-${p.name}` }, p.name),
    p.driver,
    p.priority,
    h('span', { class: `state ${p.state}`, 'data-testid': `pipeline-state-${p.name}` }, p.state),
    h('span', { 'data-testid': `pipeline-queued-${p.name}` }, p.queued + p.active),
    h('span', { 'data-testid': `pipeline-delayed-${p.name}` }, p.delayed),
    p.reserved,
    p.in_flight,
    h('span', { 'data-testid': `pipeline-processed-${p.name}` }, p.processed),
    p.failed,
    p.oldest_queued_seconds > 0 ? fmtDuration(p.oldest_queued_seconds) : '—',
    h('span', { class: 'error' }, p.error || ''),
    h(
      'span',
      { class: 'actions' },
      p.state === 'paused'
        ? button('Resume', () => act(root, () => post('/api/pipelines/resume', { pipelines: [p.name] }), `${p.name} resumed`), { 'data-testid': `resume-${p.name}` })
        : button('Pause', () => act(root, () => post('/api/pipelines/pause', { pipelines: [p.name] }), `${p.name} paused`), { 'data-testid': `pause-${p.name}` }),
      button(
        'Destroy',
        () => {
          if (confirm(`Destroy pipeline ${p.name}? Jobs held by its broker stay there.`)) {
            void act(root, () => post('/api/pipelines/destroy', { pipelines: [p.name] }), `${p.name} destroyed`);
          }
        },
        { class: 'danger' },
      ),
    ),
  ]);
  const form = declareForm(root);
  root.append(
    h('h1', {}, 'Pipelines'),
    table(['name', 'driver', 'priority', 'state', 'ready', 'delayed', 'reserved', 'in flight', 'processed', 'failed', 'oldest', 'last error', ''], rows, 'pipelines-table'),
    form,
  );
}

function declareForm(root: HTMLElement): HTMLElement {
  const driver = h('input', { name: 'driver', placeholder: 'memory', required: true }) as HTMLInputElement;
  const name = h('input', { name: 'name', placeholder: 'pipeline name', required: true }) as HTMLInputElement;
  const priority = h('input', { name: 'priority', type: 'number', value: '10' }) as HTMLInputElement;
  const extra = h('textarea', { name: 'options', rows: '3', placeholder: 'driver options, one key=value a line (prefetch=100, queue=…)' }) as HTMLTextAreaElement;
  return h(
    'form',
    {
      class: 'panel',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const options: Record<string, string> = { driver: driver.value, name: name.value, priority: priority.value };
        for (const line of extra.value.split('\n')) {
          const i = line.indexOf('=');
          if (i > 0) options[line.slice(0, i).trim()] = line.slice(i + 1).trim();
        }
        void act(root, () => post('/api/pipelines/declare', { options }), `${name.value} declared`);
      },
    },
    h('h2', {}, 'Declare a pipeline'),
    h('label', {}, 'driver ', driver),
    h('label', {}, 'name ', name),
    h('label', {}, 'priority ', priority),
    h('label', { class: 'wide' }, 'options ', extra),
    h('button', { type: 'submit' }, 'Declare'),
  );
}

// ---- workers -------------------------------------------------------------------------------

async function renderWorkers(root: HTMLElement): Promise<void> {
  const { pools } = await get<{ pools: Pool[] }>('/api/workers');
  clear(root);
  root.append(h('h1', {}, 'Workers'));
  if (pools.length === 0) root.append(h('p', {}, 'This host has no worker pool.'));
  for (const pool of pools) {
    const label = pool.name || 'jobs.pool';
    const body = { pool: pool.name };
    const busy = pool.workers.filter((w) => w.busy).length;
    root.append(
      h('h2', {}, `${label}: ${busy} busy, ${pool.workers.length - busy} idle (target ${pool.target})`),
      h(
        'div',
        { class: 'actions' },
        button('Reset pool', () => {
          if (confirm(`Replace every worker of ${label}? Queued jobs are kept.`)) void act(root, () => post('/api/workers/reset', body), `${label} reset`);
        }, { 'data-testid': `reset-${label}` }),
        button('Add worker', () => act(root, () => post('/api/workers/add', body), `worker added to ${label}`), { 'data-testid': `add-${label}` }),
        button('Remove worker', () => act(root, () => post('/api/workers/remove', body), `worker removed from ${label}`), { 'data-testid': `remove-${label}` }),
      ),
      pool.last_error ? h('p', { class: 'error' }, `last error: ${pool.last_error}`) : '',
      table(
        ['pid', 'state', 'current job', 'execs', 'RSS', 'CPU', 'age', 'command', ''],
        pool.workers.map((w) => [
          w.pid,
          w.state,
          w.job ? runningJob(w.pid, w.job) : h('span', { class: 'muted' }, 'idle'),
          w.execs,
          fmtBytes(w.rss),
          `${w.cpu_percent.toFixed(1)}%`,
          fmtDuration(w.age_seconds),
          h('code', {}, w.command),
          h(
            'span',
            { class: 'actions' },
            button('Stop', () => {
              const how = w.job ? ' after its current job' : '';
              if (confirm(`Stop worker ${w.pid}${how}? The pool starts a replacement.`)) void act(root, () => post('/api/workers/stop', { pid: w.pid }), `worker ${w.pid} stopping`);
            }, { 'data-testid': `stop-${w.pid}` }),
            w.job
              ? button('Kill', () => {
                  if (confirm(`Kill worker ${w.pid} now? Its job ${w.job?.id ?? ''} counts as a failed attempt and is retried.`)) void act(root, () => post('/api/workers/stop', { pid: w.pid, kill: true }), `worker ${w.pid} killed`);
                }, { class: 'danger', 'data-testid': `kill-${w.pid}` })
              : '',
          ),
        ]),
        `workers-${label}`,
      ),
      h('p', { class: 'muted' }, `restarts: ${Object.entries(pool.restarts).map(([k, v]) => `${k} ${v}`).join(', ')}`),
    );
  }
}

function runningJob(pid: number, j: RunningJob): HTMLElement {
  return h(
    'span',
    { class: 'job', 'data-testid': `job-${pid}` },
    h('code', { 'data-testid': `job-id-${pid}` }, j.id),
    ` ${j.job} on ${j.pipeline}, for ${fmtDuration(j.running_ms / 1000)} (since ${new Date(j.started_at_ms).toLocaleTimeString()})`,
    j.progress !== null ? h('span', { class: 'progress', 'data-testid': `job-progress-${pid}` }, ` — ${j.progress}`) : '',
  );
}

// ---- schedules -----------------------------------------------------------------------------

function fmtMaybe(unixSeconds: number | null): string {
  return unixSeconds === null ? '—' : fmtTime(unixSeconds);
}

async function renderSchedules(root: HTMLElement): Promise<void> {
  const list = await get<ScheduleList>('/api/schedules');
  clear(root);
  root.append(
    h('h1', {}, 'Schedules'),
    list.schedules.length === 0 ? h('p', {}, 'No schedule (jobs.schedules in .rr.yaml, or jobs.SchedulesAdd).') : '',
    table(
      ['name / spec', 'pipeline / job', 'state', 'next / last fire', 'last job', 'fired/skip/fail', ''],
      list.schedules.map((s) => {
        const body = { name: s.name };
        return [
          h('div', {}, h('strong', {}, s.name), h('div', {}, h('code', {}, s.spec + (s.timezone ? ` (${s.timezone})` : '')))),
          h('div', {}, h('div', {}, s.pipeline), h('div', { class: 'muted' }, s.job)),
          h('span', { class: `state ${s.paused ? 'paused' : 'active'}`, 'data-testid': `schedule-state-${s.name}` }, s.paused ? 'paused' : 'active'),
          h('div', {}, h('div', {}, fmtMaybe(s.next_fire)), h('div', { class: 'muted' }, fmtMaybe(s.last_fire))),
          s.last_job_id
            ? h('a', { href: '#/results', onclick: () => { resultId = s.last_job_id; } }, s.last_job_id)
            : '—',
          h(
            'span',
            {},
            h('span', { 'data-testid': `schedule-fired-${s.name}` }, String(s.fired)),
            ` / ${s.skipped} / `,
            s.last_error ? h('span', { class: 'error', title: s.last_error }, String(s.failed)) : String(s.failed),
          ),
          h(
            'span',
            { class: 'actions nowrap' },
            s.paused
              ? button('Resume', () => act(root, () => post('/api/schedules/resume', body), `${s.name} resumed`), { 'data-testid': `schedule-resume-${s.name}` })
              : button('Pause', () => act(root, () => post('/api/schedules/pause', body), `${s.name} paused`), { 'data-testid': `schedule-pause-${s.name}` }),
            button('Trigger now', () => act(root, () => post('/api/schedules/trigger', body), `${s.name} triggered`), { 'data-testid': `schedule-trigger-${s.name}` }),
            button('Remove', () => {
              if (confirm(`Remove schedule ${s.name}? A schedule from .rr.yaml comes back at the next start.`)) void act(root, () => post('/api/schedules/remove', body), `${s.name} removed`);
            }, { class: 'danger', 'data-testid': `schedule-remove-${s.name}` }),
          ),
        ];
      }),
      'schedules-table',
    ),
    h('p', { class: 'muted' }, `unique keys held: ${list.unique_keys_held}, pushes refused as duplicates: ${list.unique_refused}`),
  );
}

// ---- metrics (per job class) -----------------------------------------------------------------

function fmtSeconds(s: number): string {
  if (s <= 0) return '0';
  if (s < 1) return (s * 1000).toFixed(s < 0.01 ? 2 : 1) + ' ms';
  return s.toFixed(2) + ' s';
}

async function renderMetrics(root: HTMLElement): Promise<void> {
  const list = await get<JobClassList>('/api/job-classes');
  clear(root);
  root.append(
    h('h1', {}, 'Metrics'),
    h('p', { class: 'muted' }, `Per job class since ${fmtTime(list.since)}, by total execution time. Failed counts every attempt that did not end acked (error, nack, requeue, lost worker). At most ${list.max_classes} classes; later ones count as (other).`),
    list.classes.length === 0 ? h('p', {}, 'No job has finished yet.') : '',
    table(
      ['pipeline', 'job', 'processed', 'failed', 'total time', 'average', 'p50', 'p95', 'max'],
      list.classes.map((c) => {
        const id = `${c.pipeline}/${c.job}`;
        return [
          c.pipeline,
          h('span', { 'data-testid': `class-job-${id}` }, c.job),
          h('span', { 'data-testid': `class-processed-${id}` }, fmtNumber(c.processed)),
          c.failed > 0 ? h('span', { class: 'error', 'data-testid': `class-failed-${id}` }, fmtNumber(c.failed)) : h('span', { 'data-testid': `class-failed-${id}` }, '0'),
          fmtSeconds(c.exec_seconds_total),
          fmtSeconds(c.exec_seconds_avg),
          fmtSeconds(c.p50),
          fmtSeconds(c.p95),
          fmtSeconds(c.exec_seconds_max),
        ];
      }),
      'classes-table',
    ),
  );
}

// ---- results -------------------------------------------------------------------------------

async function renderResults(root: HTMLElement): Promise<void> {
  const id = h('input', { type: 'search', placeholder: 'job id', value: resultId, 'data-testid': 'result-id' }) as HTMLInputElement;
  const out = h('div', { 'data-testid': 'result-view' });
  if (resultId) {
    const r = await get<JobResult>(`/api/result?${new URLSearchParams({ id: resultId }).toString()}`);
    out.append(
      table(
        ['field', 'value'],
        [
          ['id', r.id],
          ['state', h('span', { 'data-testid': 'result-state' }, r.state)],
          ['pipeline', r.pipeline ?? '—'],
          ['attempts', r.attempts],
          ['result', h('pre', { class: 'payload', 'data-testid': 'result-value' }, r.result === null ? '—' : JSON.stringify(r.result, null, 2))],
          ['error', r.error ? h('span', { class: 'error' }, r.error) : '—'],
          ['progress', h('span', { 'data-testid': 'result-progress' }, r.progress || '—')],
          ['progress at', r.progress_at_ms ? new Date(r.progress_at_ms).toLocaleString() : '—'],
          ['finished at', r.finished_at_ms ? new Date(r.finished_at_ms).toLocaleString() : '—'],
        ],
        'result-table',
      ),
      r.state === 'unknown' ? h('p', { class: 'muted' }, 'Unknown: never seen, expired (jobs.results.ttl), or results are off for this host.') : '',
    );
  }
  clear(root);
  root.append(
    h('h1', {}, 'Results'),
    h(
      'form',
      {
        class: 'toolbar',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          resultId = id.value.trim();
          void render();
        },
      },
      id,
      h('button', { type: 'submit', 'data-testid': 'result-lookup' }, 'Look up'),
    ),
    out,
  );
}

// ---- dead letters --------------------------------------------------------------------------

async function renderDead(root: HTMLElement): Promise<void> {
  const params = new URLSearchParams({ q: deadQuery.q, store: deadQuery.store, offset: String(deadQuery.offset), limit: String(deadQuery.limit) });
  const list = await get<DeadList>(`/api/dead?${params.toString()}`);
  clear(root);
  const filter = h('input', { type: 'search', placeholder: 'filter: id, job, pipeline, error', value: deadQuery.q, 'data-testid': 'dead-filter' }) as HTMLInputElement;
  const store = h('select', { 'data-testid': 'dead-store' }, h('option', { value: '' }, 'every store'), ...list.stores.map((s) => h('option', { value: s.name, selected: s.name === deadQuery.store }, `${s.name} (${s.held})`))) as HTMLSelectElement;
  const storeBody = (): Record<string, unknown> => (deadQuery.store ? { store: deadQuery.store } : {});
  const detail = h('div', { id: 'dead-detail' });
  root.append(
    h('h1', {}, 'Dead letters'),
    h(
      'form',
      {
        class: 'toolbar',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          deadQuery.q = filter.value;
          deadQuery.store = store.value;
          deadQuery.offset = 0;
          void render();
        },
      },
      filter,
      store,
      h('button', { type: 'submit' }, 'Filter'),
      button('Replay all', () => {
        if (confirm(`Replay every dead job${deadQuery.store ? ' of ' + deadQuery.store : ''}?`)) void act(root, () => post('/api/dead/replay', { ...storeBody(), all: true }), 'all replayed');
      }, { 'data-testid': 'dead-replay-all' }),
      button('Delete all', () => {
        if (confirm(`Delete every dead job${deadQuery.store ? ' of ' + deadQuery.store : ''}? This cannot be undone.`)) void act(root, () => post('/api/dead/delete', { ...storeBody(), all: true }), 'all deleted');
      }, { class: 'danger', 'data-testid': 'dead-delete-all' }),
    ),
    table(
      ['id', 'job', 'pipeline', 'attempts', 'error', 'died at', ''],
      list.jobs.map((j) => [
        h('a', { href: '#/dead', 'data-testid': `dead-open-${j.id}`, onclick: (ev: Event) => { ev.preventDefault(); deadOpen = { store: j.store, id: j.id }; void showDead(detail, j.store, j.id); } }, j.id),
        j.job,
        j.origin,
        j.attempts,
        h('span', { class: 'error' }, j.error),
        fmtTime(j.dead_at),
        h(
          'span',
          { class: 'actions' },
          button('Replay', () => act(root, () => post('/api/dead/replay', { store: j.store, ids: [j.id] }), `${j.id} replayed`), { 'data-testid': `dead-replay-${j.id}` }),
          button('Delete', () => {
            if (confirm(`Delete dead job ${j.id}?`)) void act(root, () => post('/api/dead/delete', { store: j.store, ids: [j.id] }), `${j.id} deleted`);
          }, { class: 'danger', 'data-testid': `dead-delete-${j.id}` }),
        ),
      ]),
      'dead-table',
    ),
    h(
      'p',
      { class: 'pager' },
      button('‹ newer', () => { deadQuery.offset = Math.max(0, deadQuery.offset - deadQuery.limit); void render(); }, deadQuery.offset === 0 ? { disabled: 'disabled' } : {}),
      ` ${list.total === 0 ? 0 : list.offset + 1}–${list.offset + list.jobs.length} of ${list.total} `,
      button('older ›', () => { deadQuery.offset += deadQuery.limit; void render(); }, list.offset + list.jobs.length >= list.total ? { disabled: 'disabled' } : {}),
    ),
    detail,
  );
  if (deadOpen) await showDead(detail, deadOpen.store, deadOpen.id);
}

async function showDead(where: HTMLElement, store: string, id: string): Promise<void> {
  try {
    const d = await get<DeadDetail>(`/api/dead/job?${new URLSearchParams({ store, id }).toString()}`);
    clear(where);
    where.append(
      h('h2', {}, `Dead job ${d.id}`),
      h('p', {}, `${d.job} from ${d.origin}, ${d.attempts} attempt(s), died ${fmtTime(d.dead_at)} — ${d.error}`),
      h('h3', {}, `Payload (${d.payload.encoding}, ${fmtBytes(d.payload.size)}${d.payload.truncated ? ', truncated' : ''})`),
      h('pre', { class: 'payload', 'data-testid': 'dead-payload' }, d.payload.data),
      h('h3', {}, 'Headers'),
      table(['header', 'values'], Object.entries(d.headers).map(([k, v]) => [k, v.join(', ')]), 'dead-headers'),
    );
  } catch (e) {
    deadOpen = null;
    clear(where);
    // Replayed or deleted meanwhile: the detail just closes.
    if (!(e instanceof ApiError && e.status === 404)) showError(where, e);
  }
}

// ---- push ----------------------------------------------------------------------------------

async function renderPush(root: HTMLElement): Promise<void> {
  const { pipelines } = await get<{ pipelines: Pipeline[] }>('/api/pipelines');
  clear(root);
  const pipeline = h('select', { name: 'pipeline', 'data-testid': 'push-pipeline' }, ...pipelines.map((p) => h('option', { value: p.name }, p.name))) as HTMLSelectElement;
  const job = h('input', { name: 'job', value: 'dashboard.Test', 'data-testid': 'push-job' }) as HTMLInputElement;
  const payload = h('textarea', { name: 'payload', rows: '4', 'data-testid': 'push-payload' }) as HTMLTextAreaElement;
  const headers = h('textarea', { name: 'headers', rows: '2', placeholder: 'one header a line: Name: value', 'data-testid': 'push-headers' }) as HTMLTextAreaElement;
  const priority = h('input', { name: 'priority', type: 'number', value: '0' }) as HTMLInputElement;
  const delay = h('input', { name: 'delay', type: 'number', value: '0', min: '0', 'data-testid': 'push-delay' }) as HTMLInputElement;
  root.append(
    h('h1', {}, 'Push a job'),
    h(
      'form',
      {
        class: 'panel',
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          const hdrs: Record<string, string[]> = {};
          for (const line of headers.value.split('\n')) {
            const i = line.indexOf(':');
            if (i > 0) (hdrs[line.slice(0, i).trim()] ??= []).push(line.slice(i + 1).trim());
          }
          void act(
            root,
            () => post<{ id: string }>('/api/push', { pipeline: pipeline.value, job: job.value, payload: payload.value, headers: hdrs, priority: Number(priority.value), delay: Number(delay.value) }),
            `pushed to ${pipeline.value}`,
          );
        },
      },
      h('label', {}, 'pipeline ', pipeline),
      h('label', {}, 'job name ', job),
      h('label', { class: 'wide' }, 'payload ', payload),
      h('label', { class: 'wide' }, 'headers ', headers),
      h('label', {}, 'priority ', priority),
      h('label', {}, 'delay (s) ', delay),
      h('button', { type: 'submit', 'data-testid': 'push-submit' }, 'Push'),
    ),
  );
}

// ---- routing, live updates -----------------------------------------------------------------

const pages: Record<string, (root: HTMLElement) => void | Promise<void>> = {
  overview: renderOverview,
  pipelines: renderPipelines,
  workers: renderWorkers,
  dead: renderDead,
  schedules: renderSchedules,
  results: renderResults,
  metrics: renderMetrics,
  push: renderPush,
};

function currentPage(): string {
  return location.hash.replace(/^#\/?/, '').split('?')[0] || 'overview';
}

async function render(): Promise<void> {
  const name = currentPage();
  const fn = pages[name] ?? renderOverview;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
    a.classList.toggle('current', a.dataset.page === name);
  }
  const samePage = page === name;
  page = name;
  const root = h('section', { 'data-testid': `page-${name}` });
  try {
    await fn(root);
    setReachable(true);
  } catch (e) {
    if (e instanceof Unreachable) {
      setReachable(false, e.message);
      return;
    }
    root.prepend(notice(e instanceof ApiError ? e.message : String(e), 'error'));
  }
  // A render that started before a navigation (a periodic refresh, say) and finished after the
  // new page's own render must not put the old page back over it.
  if (currentPage() !== name) return;
  // Keep the page's own notices when re-rendering. They are collected after the page's fetches,
  // not before: an action that finished while a periodic refresh was fetching had put its notice
  // into the page this refresh replaces, and collecting early dropped it (seen as a flaky
  // browser test under ASan).
  const notices = samePage ? [...main.querySelectorAll('.notice')] : [];
  for (const n of notices.slice(0, 2)) root.prepend(n);
  clear(main);
  main.append(root);
}

function connect(): void {
  const events = new EventSource('/api/events');
  events.addEventListener('overview', (ev) => {
    overview = JSON.parse((ev as MessageEvent<string>).data) as Overview;
    history.push(overview.rate);
    if (history.length > 300) history = history.slice(-300);
    setReachable(true);
    if (page === 'overview') renderOverview(main.firstElementChild as HTMLElement);
  });
  events.onerror = () => {
    setReachable(false, 'event stream lost');
  };
  events.onopen = () => {
    // After an outage: the history and session (a restarted host has a new CSRF token).
    void start();
  };
}

async function start(): Promise<void> {
  try {
    await session();
    const o = await get<Overview>('/api/overview');
    overview = o;
    history = o.history ?? [];
    setReachable(true);
  } catch (e) {
    setReachable(false, String(e));
  }
  await render();
}

window.addEventListener('hashchange', () => void render());
// Pages other than the overview refresh on a timer (the overview follows the event stream).
refreshTimer = window.setInterval(() => {
  if (page !== 'overview' && !document.querySelector('form :focus')) void render();
}, 2000);
void refreshTimer;
connect();
