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
  type Overview,
  type Pipeline,
  type Pool,
  type RatePoint,
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
        ['pid', 'state', 'busy', 'execs', 'RSS', 'CPU', 'age', 'command'],
        pool.workers.map((w) => [w.pid, w.state, w.busy ? 'busy' : 'idle', w.execs, fmtBytes(w.rss), `${w.cpu_percent.toFixed(1)}%`, fmtDuration(w.age_seconds), h('code', {}, w.command)]),
        `workers-${label}`,
      ),
      h('p', { class: 'muted' }, `restarts: ${Object.entries(pool.restarts).map(([k, v]) => `${k} ${v}`).join(', ')}`),
    );
  }
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
  push: renderPush,
};

async function render(): Promise<void> {
  const name = location.hash.replace(/^#\/?/, '').split('?')[0] || 'overview';
  const fn = pages[name] ?? renderOverview;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
    a.classList.toggle('current', a.dataset.page === name);
  }
  // Keep the page's own notices when re-rendering after an action.
  const notices = page === name ? [...main.querySelectorAll('.notice')] : [];
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
