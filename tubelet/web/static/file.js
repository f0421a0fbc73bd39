// One tagged file on a page: whole-file labels, legend, timeline, segments that seek, shots; the same for the
// library's video page and the report `tag --format html` writes.
import { clock, el, percent } from './dom.js';
import { labelColours } from './palette.js';
import { drawTimeline, seriesFromWindows } from './timeline.js';

export function showFile(doc, series, video) {
  const colour = labelColours([...doc.labels.map(x => x.label), ...doc.segments.map(s => s.label)]);
  const seek = t => { video.currentTime = t; video.play().catch(() => {}); };
  const labels = document.getElementById('labels');
  for (const x of doc.labels) {
    const row = el('div', {class: 'label'});
    row.append(el('span', {}, x.label), el('span', {}, percent(x.score, 1)));
    row.appendChild(el('span', {class: 'bar', style: `width:${(100 * x.score).toFixed(1)}%;background:${colour(x.label)}`}));
    labels.appendChild(row);
  }
  const legend = document.getElementById('legend');
  for (const {label} of series) {
    const item = el('span');
    item.append(el('i', {class: 'swatch', style: `background:${colour(label)}`}), label);
    legend.appendChild(item);
  }
  const timeline = drawTimeline(document.getElementById('plot'),
    {duration: doc.duration, segments: doc.segments, windows: doc.windows, series, shots: doc.shots}, colour, seek);
  const body = document.querySelector('#segments tbody');
  for (const s of doc.segments) {
    const tr = el('tr', {'data-start': s.start, 'data-end': s.end});
    const name = el('td');
    name.append(el('i', {class: 'swatch', style: `background:${colour(s.label)}`}), s.label);
    tr.append(el('td', {}, clock(s.start)), el('td', {}, clock(s.end)), name, el('td', {}, percent(s.score, 0)));
    tr.addEventListener('click', () => seek(s.start));
    body.appendChild(tr);
  }
  if (!doc.segments.length) {
    body.appendChild(el('tr')).appendChild(el('td', {colspan: 4}, 'no segment reaches the minimum score'));
  }
  const shots = document.getElementById('shots');
  if (shots && doc.shots) {
    const cuts = doc.shots.slice(1).map(s => clock(s.start)).join(', ') || 'none';
    shots.textContent = `${doc.shots.length} (cuts at ${cuts})`;
  }
  const rows = body.querySelectorAll('tr[data-start]');
  video.addEventListener('timeupdate', () => {
    const t = video.currentTime;
    timeline.setTime(t);
    rows.forEach(r => r.classList.toggle('current', t >= +r.dataset.start && t < +r.dataset.end));
  });
}

// Another model's results for the same file (the library holds one track per model): a card with its own
// timeline, whole-file labels as the legend, the same player and playhead.
export function showTrack(parent, track, doc, video) {
  const top = track.labels.slice(0, 5);
  const colour = labelColours([...top.map(x => x.label), ...track.segments.map(s => s.label)]);
  const card = el('figure', {class: 'card track', 'data-model': track.model});
  card.appendChild(el('h2', {}, `Timeline · ${track.model}`));
  // the SVG namespace read off the page's first timeline (the single-file report holds no URL at all)
  const svg = card.appendChild(document.createElementNS(document.getElementById('plot').namespaceURI, 'svg'));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${track.model}: label scores over time`);
  const legend = card.appendChild(el('figcaption', {class: 'legend'}));
  for (const x of top) {
    const item = el('span');
    item.append(el('i', {class: 'swatch', style: `background:${colour(x.label)}`}), `${x.label} ${percent(x.score, 0)}`);
    legend.appendChild(item);
  }
  parent.appendChild(card);
  const seek = t => { video.currentTime = t; video.play().catch(() => {}); };
  const timeline = drawTimeline(svg, {duration: doc.duration, segments: track.segments, windows: track.windows,
    series: seriesFromWindows(track.windows, top.map(x => x.label)), shots: doc.shots}, colour, seek);
  video.addEventListener('timeupdate', () => timeline.setTime(video.currentTime));
}
