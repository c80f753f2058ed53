// The throughput chart: an SVG of the host's rate history (pushed, processed, failed per second).
import { h } from './dom';
import type { RatePoint } from './api';

const NS = 'http://www.w3.org/2000/svg';
const W = 600;
const H = 160;

function svg(tag: string, attrs: Record<string, string>): SVGElement {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

export function chart(points: RatePoint[]): HTMLElement {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': 'jobs per second' });
  const max = Math.max(1, ...points.map((p) => Math.max(p.pushed, p.processed, p.failed)));
  const series: [keyof RatePoint, string][] = [
    ['pushed', 'line pushed'],
    ['processed', 'line processed'],
    ['failed', 'line failed'],
  ];
  const n = Math.max(points.length - 1, 1);
  root.appendChild(svg('line', { x1: '0', y1: String(H - 1), x2: String(W), y2: String(H - 1), class: 'axis' }));
  for (const [key, cls] of series) {
    const coords = points.map((p, i) => `${((i / n) * W).toFixed(1)},${(H - 4 - ((p[key] as number) / max) * (H - 12)).toFixed(1)}`);
    if (coords.length > 0) root.appendChild(svg('polyline', { points: coords.join(' '), class: cls }));
  }
  const scale = svg('text', { x: '4', y: '12', class: 'scale' });
  scale.textContent = `${max.toFixed(max < 10 ? 1 : 0)}/s`;
  root.appendChild(scale);
  return h(
    'figure',
    { class: 'chart-box', 'data-testid': 'chart' },
    root,
    h(
      'figcaption',
      {},
      h('span', { class: 'key pushed' }, 'pushed'),
      ' ',
      h('span', { class: 'key processed' }, 'processed'),
      ' ',
      h('span', { class: 'key failed' }, 'failed'),
      ` · last ${points.length < 120 ? `${points.length} s` : `${Math.round(points.length / 60)} min`}, per second`,
    ),
  );
}
