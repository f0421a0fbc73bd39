// The timeline of one file as SVG: merged segments as a band, label scores over time as lines, cuts as dashed
// ticks, a playhead; a click seeks. Drawn the same way by `tubelet serve` and by `tag --format html`.
import { clock } from './dom.js';

const VIEW_W = 1000, VIEW_H = 240, PLOT_L = 40, PLOT_R = 10, PLOT_T = 8, BAND = 22, AXIS = 28;

// scores of each label at each window, read from the windows' top-k lists (0 where a label is not in them)
export function seriesFromWindows(windows, labels) {
  return labels.map(label => ({label, scores: windows.map(w => {
    const hit = w.labels.find(x => x.label === label);
    return hit ? hit.score : 0;
  })}));
}

function tickStep(duration) {
  return [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].find(s => duration / s <= 10) || 7200;
}

// data: {duration, segments, windows, series, shots}; colour(label); onSeek(seconds). Returns {setTime}.
export function drawTimeline(svg, data, colour, onSeek) {
  const pw = VIEW_W - PLOT_L - PLOT_R, ph = VIEW_H - PLOT_T - BAND - AXIS, top = PLOT_T + BAND;
  const x = t => PLOT_L + t / Math.max(data.duration, 1e-9) * pw, y = p => top + (1 - p) * ph;
  svg.setAttribute('viewBox', `0 0 ${VIEW_W} ${VIEW_H}`);
  svg.replaceChildren();
  function add(tag, attrs, text) {
    const e = document.createElementNS(svg.namespaceURI, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e);
    return e;
  }
  add('rect', {x: PLOT_L, y: top, width: pw, height: ph, fill: '#fff', stroke: '#ccc'});
  for (const p of [0.25, 0.5, 0.75]) add('line', {x1: PLOT_L, x2: PLOT_L + pw, y1: y(p), y2: y(p), stroke: '#eee'});
  for (const p of [0, 0.5, 1]) add('text', {x: PLOT_L - 6, y: y(p) + 4, 'text-anchor': 'end', class: 'tick'}, `${p}`);
  const step = tickStep(data.duration);
  for (let t = 0; t <= data.duration + 1e-9; t += step) {
    add('line', {x1: x(t), x2: x(t), y1: top + ph, y2: top + ph + 5, stroke: '#999'});
    add('text', {x: x(t), y: VIEW_H - 8, 'text-anchor': 'middle', class: 'tick'}, `${+t.toFixed(1)}s`);
  }
  for (const s of data.segments) {
    const r = add('rect', {x: x(s.start), y: PLOT_T, width: Math.max(1, x(s.end) - x(s.start)), height: BAND - 4,
      fill: colour(s.label), 'data-start': s.start, 'data-end': s.end});
    const title = document.createElementNS(svg.namespaceURI, 'title');
    title.textContent = `${s.label} ${clock(s.start)}-${clock(s.end)} (${(100 * s.score).toFixed(0)}%)`;
    r.appendChild(title);
  }
  const centres = data.windows.map(w => (w.start + w.end) / 2);
  for (const {label, scores} of data.series) {
    if (centres.length === 1) {
      add('polyline', {points: `${PLOT_L},${y(scores[0])} ${PLOT_L + pw},${y(scores[0])}`, fill: 'none',
        stroke: colour(label), 'stroke-width': 2});
    } else {
      const points = centres.map((c, i) => `${x(c).toFixed(1)},${y(scores[i]).toFixed(1)}`).join(' ');
      add('polyline', {points, fill: 'none', stroke: colour(label), 'stroke-width': 2});
    }
  }
  for (const s of (data.shots || []).slice(1)) {
    add('line', {x1: x(s.start), x2: x(s.start), y1: PLOT_T, y2: top + ph, stroke: '#d00', 'stroke-dasharray': '4 3'});
  }
  const head = add('line', {x1: PLOT_L, x2: PLOT_L, y1: PLOT_T, y2: top + ph, stroke: '#000', 'stroke-width': 1.5,
    class: 'playhead'});
  svg.addEventListener('click', ev => {
    const box = svg.getBoundingClientRect(), at = (ev.clientX - box.left) * VIEW_W / box.width;
    onSeek(Math.min(data.duration, Math.max(0, (at - PLOT_L) / pw * data.duration)));
  });
  return {setTime(t) { head.setAttribute('x1', x(t)); head.setAttribute('x2', x(t)); }};
}
