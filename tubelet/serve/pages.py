"""The two pages of `tubelet serve`, self-contained (no script, style or font fetched from anywhere else): they
read the JSON API with fetch() and build the DOM with textContent, so no library data is ever parsed as HTML."""

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#fafafa;color:#222}
header{padding:12px 24px;background:#20252b;color:#fff}
header a{color:#fff;text-decoration:none}
header h1{margin:0;font-size:19px}
main{padding:18px 24px}
form{display:flex;gap:12px;flex-wrap:wrap;align-items:end;margin-bottom:16px}
label{display:flex;flex-direction:column;font-size:13px;color:#555}
input,button{font:inherit;padding:6px 8px}
button{cursor:pointer}
#results{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:14px}
.hit{background:#fff;border:1px solid #e3e3e3;border-radius:6px;overflow:hidden;color:inherit;text-decoration:none}
.hit img{width:100%;aspect-ratio:16/9;object-fit:cover;background:#000;display:block}
.hit div{padding:6px 10px;font-size:13px}
.hit b{display:block;word-break:break-all}
.layout{display:grid;grid-template-columns:minmax(320px,1fr) minmax(280px,380px);gap:20px}
video{width:100%;max-height:62vh;background:#000;border-radius:6px}
.card{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:12px 14px;margin-bottom:14px}
table{border-collapse:collapse;width:100%}
td,th{padding:4px 6px;text-align:left;border-bottom:1px solid #eee;font-variant-numeric:tabular-nums}
tr[data-start]{cursor:pointer}
tr.current{background:#eef4ff}
svg{width:100%;height:auto;cursor:crosshair}
#empty{color:#777}
"""

COMMON_JS = """
const COLOURS = ['#1f77b4','#d62728','#2ca02c','#ff7f0e','#9467bd','#8c564b','#e377c2','#17becf','#bcbd22','#7f7f7f'];
const colourOf = {};
function colour(label) { if (!(label in colourOf)) colourOf[label] = COLOURS[Object.keys(colourOf).length % 10];
  return colourOf[label]; }
function el(tag, attrs, text) { const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text; return e; }
function clock(t) { const m = Math.floor(t / 60), s = (t - 60 * m).toFixed(2).padStart(5, '0'); return `${m}:${s}`; }
async function api(url) { const r = await fetch(url); if (!r.ok) throw new Error((await r.json()).detail || r.status);
  return r.json(); }
"""

SEARCH_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>tubelet library</title><style>""" + STYLE + """</style></head>
<body><header><h1><a href="/">tubelet library</a></h1></header><main>
<form id="search">
<label>label<input id="label" name="label" list="labels" required autocomplete="off"></label>
<datalist id="labels"></datalist>
<label>min score<input id="min_score" type="number" min="0" max="1" step="0.05" value="0"></label>
<label>min duration (s)<input id="min_duration" type="number" min="0" step="0.5" value="0"></label>
<label>path glob<input id="path" placeholder="*/drone/*"></label>
<button type="submit">search</button></form>
<p id="summary"></p><div id="results"></div><p id="empty"></p></main>
<script>""" + COMMON_JS + """
api('/api/labels').then(list => { const dl = document.getElementById('labels');
  list.forEach(x => dl.appendChild(el('option', {value: x.label}, `${x.segments} segments`))); });
async function run(ev) {
  if (ev) ev.preventDefault();
  const q = new URLSearchParams({label: document.getElementById('label').value,
    min_score: document.getElementById('min_score').value || 0,
    min_duration: document.getElementById('min_duration').value || 0, limit: 60});
  const path = document.getElementById('path').value; if (path) q.set('path', path);
  history.replaceState(null, '', '/?' + q);
  const box = document.getElementById('results'); box.replaceChildren();
  const res = await api('/api/search?' + q);
  document.getElementById('summary').textContent = `${res.hits.length} segments labelled ${res.label}`;
  document.getElementById('empty').textContent = res.hits.length ? '' : 'nothing found';
  for (const h of res.hits) {
    const a = el('a', {class: 'hit', href: h.page_url});
    a.appendChild(el('img', {src: h.thumbnail_url, alt: `${h.label} at ${clock(h.start)}`, loading: 'lazy'}));
    const d = el('div'); d.appendChild(el('b', {}, h.file.split('/').pop()));
    d.appendChild(el('span', {}, `${clock(h.start)} - ${clock(h.end)} · ${h.label} ${(100 * h.score).toFixed(0)}%`));
    a.appendChild(d); box.appendChild(a);
  }
  document.body.dataset.searched = '1';
}
document.getElementById('search').addEventListener('submit', run);
const initial = new URLSearchParams(location.search);
for (const k of ['label', 'min_score', 'min_duration', 'path'])
  if (initial.get(k)) document.getElementById(k).value = initial.get(k);
if (initial.get('label')) run();
document.body.dataset.ready = '1';
</script></body></html>
"""

VIDEO_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>video · tubelet library</title><style>""" + STYLE + """</style></head>
<body><header><h1><a href="/">tubelet library</a> · <span id="name"></span></h1></header><main>
<div class="layout"><div><video id="video" controls preload="metadata"></video>
<div class="card"><b>Timeline</b> <small>(segments above, top score below, shots as ticks; click to seek)</small>
<svg id="plot" viewBox="0 0 1000 160"></svg></div></div>
<div><div class="card"><b>Whole file</b><div id="labels"></div></div>
<div class="card"><b>Segments</b><table id="segments"><thead><tr><th>start</th><th>end</th><th>label</th>
<th>score</th></tr></thead><tbody></tbody></table></div>
<div class="card"><b>Shots</b> <span id="shots"></span></div></div></div></main>
<script>""" + COMMON_JS + """
const video = document.getElementById('video'), id = location.pathname.split('/').pop();
const W = 1000, L = 10, PW = 980;
function seek(t) { video.currentTime = t; }
api('/api/files/' + id).then(f => {
  document.getElementById('name').textContent = f.file.split('/').pop();
  document.title = f.file.split('/').pop() + ' · tubelet library';
  const start = parseFloat(new URLSearchParams(location.search).get('t') || '0');
  video.addEventListener('loadedmetadata', () => { if (start) video.currentTime = start;
    document.body.dataset.ready = '1'; }, {once: true});
  video.src = f.video_url.split('#')[0];
  const x = t => L + t / Math.max(f.duration, 1e-9) * PW, svg = document.getElementById('plot'), ns = 'http://www.w3.org/2000/svg';
  function add(tag, attrs) { const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); svg.appendChild(e); return e; }
  for (const s of f.segments) { const r = add('rect', {x: x(s.start), y: 4, width: Math.max(1, x(s.end) - x(s.start)),
    height: 22, fill: colour(s.label), 'data-start': s.start});
    const t = document.createElementNS(ns, 'title');
    t.textContent = `${s.label} ${clock(s.start)}-${clock(s.end)}`; r.appendChild(t); }
  const pts = f.windows.map(w =>
    `${x((w.start + w.end) / 2).toFixed(1)},${(150 - 110 * w.labels[0].score).toFixed(1)}`);
  add('polyline', {points: pts.join(' '), fill: 'none', stroke: '#444', 'stroke-width': 1.5});
  for (const s of f.shots.slice(1)) add('line', {x1: x(s.start), x2: x(s.start), y1: 30, y2: 155, stroke: '#d00',
    'stroke-dasharray': '4 3'});
  const head = add('line', {x1: L, x2: L, y1: 0, y2: 160, stroke: '#000', 'stroke-width': 1.5});
  svg.addEventListener('click', ev => { const b = svg.getBoundingClientRect();
    seek(Math.min(f.duration, Math.max(0, ((ev.clientX - b.left) * W / b.width - L) / PW * f.duration))); });
  const body = document.querySelector('#segments tbody');
  for (const s of f.segments) { const tr = el('tr', {'data-start': s.start, 'data-end': s.end});
    [clock(s.start), clock(s.end), s.label, (100 * s.score).toFixed(0) + '%']
      .forEach(v => tr.appendChild(el('td', {}, v)));
    tr.addEventListener('click', () => seek(s.start)); body.appendChild(tr); }
  const labels = document.getElementById('labels');
  for (const l of f.labels) labels.appendChild(el('div', {}, `${l.label} ${(100 * l.score).toFixed(1)}%`));
  const cuts = f.shots.slice(1).map(s => clock(s.start)).join(', ') || 'none';
  document.getElementById('shots').textContent = `${f.shots.length} (cuts at ${cuts})`;
  video.addEventListener('timeupdate', () => { const t = video.currentTime;
    head.setAttribute('x1', x(t)); head.setAttribute('x2', x(t));
    body.querySelectorAll('tr').forEach(r =>
      r.classList.toggle('current', t >= +r.dataset.start && t < +r.dataset.end)); });
});
</script></body></html>
"""
