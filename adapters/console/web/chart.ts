// Line charts with uPlot (canvas; small, no dependencies). Times are seconds since the epoch.
import uPlot from 'uplot';
import { h } from './dom.js';

export interface Series {
  readonly label: string;
  readonly stroke: string;
  readonly values: number[];
}

export function lineChart(title: string, times: number[], series: Series[], width = 900): HTMLElement {
  const box = h('figure', { class: 'chart' }, h('figcaption', {}, title));
  if (times.length === 0) {
    box.appendChild(h('p', { class: 'muted' }, 'No completed syncs in the log yet.'));
    return box;
  }
  const opts: uPlot.Options = {
    width,
    height: 220,
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, points: { show: times.length < 60 } }))],
    axes: [{}, {}],
    scales: { x: { time: true } },
  };
  new uPlot(opts, [times, ...series.map((s) => s.values)], box);
  return box;
}
