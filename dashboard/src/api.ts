// The JSON API (docs/dashboard.md). POSTs carry the per-process CSRF token from /api/session.

let csrf = '';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/// Network failure (host down) vs an answer with an error: the page shows them differently.
export class Unreachable extends Error {}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { ...init, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new Unreachable('host unreachable');
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    if (res.status >= 500 || res.status === 0) throw new Unreachable(`host answered ${res.status}`);
  }
  if (!res.ok) {
    const msg = (body as { error?: string } | null)?.error ?? `HTTP ${res.status}`;
    throw new ApiError(msg, res.status);
  }
  return body as T;
}

export async function session(): Promise<{ csrf: string; version: string; auth: boolean }> {
  const s = await call<{ csrf: string; version: string; auth: boolean }>('/api/session');
  csrf = s.csrf;
  return s;
}

export function get<T>(path: string): Promise<T> {
  return call<T>(path);
}

export function post<T>(path: string, body: unknown = {}): Promise<T> {
  return call<T>(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Coyote-CSRF': csrf },
    body: JSON.stringify(body),
  });
}

export interface RatePoint {
  t: number;
  pushed: number;
  processed: number;
  failed: number;
}

export interface Overview {
  version: string;
  uptime_seconds: number;
  totals: Record<string, number>;
  queued: number;
  in_flight: number;
  active: number;
  delayed: number;
  reserved: number;
  dead_letters: number;
  pipelines: { total: number; paused: number; errors: number };
  workers: { total: number; busy: number };
  rate: RatePoint;
  history?: RatePoint[];
}

export interface Pipeline {
  name: string;
  driver: string;
  pool: string;
  queue: string;
  priority: number;
  state: string;
  active: number;
  delayed: number;
  reserved: number;
  queued: number;
  in_flight: number;
  oldest_queued_seconds: number;
  pushed: number;
  processed: number;
  failed: number;
  dead: number;
  error: string;
}

export interface RunningJob {
  id: string;
  job: string;
  pipeline: string;
  started_at_ms: number;
  running_ms: number;
  progress: string | null;
  progress_at_ms: number | null;
}

export interface WorkerRow {
  pid: number;
  state: string;
  busy: boolean;
  execs: number;
  rss: number;
  cpu_percent: number;
  age_seconds: number;
  command: string;
  job: RunningJob | null;
}

export interface Pool {
  name: string;
  target: number;
  last_error: string;
  restarts: Record<string, number>;
  workers: WorkerRow[];
}

export interface DeadRow {
  store: string;
  id: string;
  job: string;
  origin: string;
  attempts: number;
  error: string;
  dead_at: number;
  size: number;
}

export interface DeadList {
  stores: { name: string; held: number }[];
  total: number;
  offset: number;
  limit: number;
  jobs: DeadRow[];
}

export interface DeadDetail extends DeadRow {
  headers: Record<string, string[]>;
  payload: { encoding: 'text' | 'hex'; data: string; truncated: boolean; size: number };
}

export interface BatchResult {
  done: string[];
  failed: { id: string; error: string }[];
}

export interface Schedule {
  name: string;
  spec: string;
  timezone: string;
  pipeline: string;
  job: string;
  paused: boolean;
  origin: string;
  next_fire: number | null;
  last_fire: number | null;
  last_job_id: string;
  last_error: string;
  fired: number;
  skipped: number;
  failed: number;
}

export interface ScheduleList {
  schedules: Schedule[];
  unique_keys_held: number;
  unique_refused: number;
}

export interface JobClass {
  pipeline: string;
  job: string;
  processed: number;
  failed: number;
  exec_seconds_total: number;
  exec_seconds_avg: number;
  exec_seconds_max: number;
  p50: number;
  p95: number;
}

export interface JobClassList {
  classes: JobClass[];
  since: number;
  max_classes: number;
}

export interface JobResult {
  id: string;
  state: 'unknown' | 'running' | 'succeeded' | 'failed';
  pipeline?: string;
  result: unknown;
  error: string;
  attempts: number;
  progress: string;
  finished_at_ms: number;
  progress_at_ms: number;
}
