"""One self-contained HTML page per tagged file: the video (linked by relative path), whole-file labels, a
timeline plot (inline SVG, drawn here, no scripts or fonts fetched), and segments that seek the video."""
from __future__ import annotations

import html
import os
from pathlib import Path
from urllib.parse import quote

from .results import TagResult
from .writers import clock

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
W, H, LEFT, RIGHT, TOP, BAND, BOTTOM = 1000, 280, 48, 12, 12, 22, 34

CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#fafafa;color:#222}
header{padding:14px 24px;background:#20252b;color:#fff}
header h1{margin:0;font-size:20px;word-break:break-all}
header p{margin:4px 0 0;color:#c8ccd0}
main{display:grid;grid-template-columns:minmax(320px,1fr) minmax(280px,380px);gap:20px;padding:20px 24px}
video{width:100%;max-height:60vh;background:#000;border-radius:6px}
.card{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:12px 14px}
h2{font-size:15px;margin:0 0 8px}
.label{display:grid;grid-template-columns:1fr 56px;gap:6px;align-items:center;margin:3px 0}
.bar{height:8px;border-radius:4px;grid-column:1/3}
.wide{grid-column:1/3}
svg{width:100%;height:auto;cursor:crosshair}
table{border-collapse:collapse;width:100%}
td,th{white-space:nowrap;padding:4px 6px;text-align:left;border-bottom:1px solid #eee;font-variant-numeric:tabular-nums}
tr[data-start]{cursor:pointer}
tr[data-start]:hover,tr.current{background:#eef4ff}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.legend span{margin-right:14px;white-space:nowrap}
"""

SCRIPT = """
const video = document.getElementById('video');
const duration = %(duration)f, plotLeft = %(left)d, plotWidth = %(pw)d, svgWidth = %(w)d;
function seek(t) { video.currentTime = t; video.play().catch(() => {}); }
document.querySelectorAll('[data-start]').forEach(el =>
  el.addEventListener('click', ev => { ev.stopPropagation(); seek(parseFloat(el.dataset.start)); }));
const svg = document.getElementById('plot');
svg.addEventListener('click', ev => {
  const box = svg.getBoundingClientRect(), x = (ev.clientX - box.left) * svgWidth / box.width;
  seek(Math.min(duration, Math.max(0, (x - plotLeft) / plotWidth * duration)));
});
const head = document.getElementById('playhead'), rows = document.querySelectorAll('tr[data-start]');
video.addEventListener('timeupdate', () => {
  const t = video.currentTime, x = plotLeft + t / duration * plotWidth;
  head.setAttribute('x1', x); head.setAttribute('x2', x);
  rows.forEach(r => r.classList.toggle('current', t >= +r.dataset.start && t < +r.dataset.end));
});
document.body.dataset.ready = '1';
"""


def _href(video: str, out_path: Path | None) -> str:
    target = Path(video).resolve()
    if out_path is None:
        return target.as_uri()
    return quote(os.path.relpath(target, Path(out_path).resolve().parent).replace(os.sep, "/"))


def _svg(r: TagResult, colours: dict[str, str]) -> str:
    pw, ph = W - LEFT - RIGHT, H - TOP - BAND - BOTTOM
    x = lambda t: LEFT + t / max(r.duration, 1e-9) * pw            # noqa: E731
    y = lambda p: TOP + BAND + (1 - p) * ph                         # noqa: E731
    out = [f'<svg id="plot" viewBox="0 0 {W} {H}" role="img" aria-label="label scores over time">',
           f'<rect x="{LEFT}" y="{TOP + BAND}" width="{pw}" height="{ph}" fill="#fff" stroke="#ccc"/>']
    for p in (0.25, 0.5, 0.75):
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y(p):.1f}" y2="{y(p):.1f}" stroke="#eee"/>')
    for p in (0, 0.5, 1):
        out.append(f'<text x="{LEFT - 6}" y="{y(p) + 4:.1f}" text-anchor="end" font-size="12" fill="#666">{p:g}</text>')
    step = next(s for s in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 1e9) if r.duration / s <= 10)
    t = 0.0
    while t <= r.duration + 1e-9:
        out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{TOP + BAND + ph}" y2="{TOP + BAND + ph + 5}" '
                   'stroke="#999"/>'
                   f'<text x="{x(t):.1f}" y="{H - 12}" text-anchor="middle" font-size="12" fill="#666">{t:g}s</text>')
        t += step
    for s in r.segments:       # the merged segments as a band above the plot; click to seek
        c = colours.get(s.label, "#999")
        out.append(f'<rect data-start="{s.start}" data-end="{s.end}" x="{x(s.start):.1f}" y="{TOP}" '
                   f'width="{max(1.0, x(s.end) - x(s.start)):.1f}" height="{BAND - 4}" fill="{c}" opacity="0.85">'
                   f'<title>{html.escape(s.label)} {clock(s.start)}-{clock(s.end)} ({s.score:.0%})'
                   '</title></rect>')
    centres = [w.centre for w in r.windows]
    label_index = {v: k for k, v in r.id2label.items()}
    for label, c in colours.items():
        k = label_index.get(label)
        if k is None or r.probs is None:
            continue
        pts = " ".join(f"{x(t):.1f},{y(float(p)):.1f}" for t, p in zip(centres, r.probs[:, k]))
        if len(centres) == 1:
            level = y(float(r.probs[0, k]))
            out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{level:.1f}" y2="{level:.1f}" stroke="{c}" '
                       'stroke-width="2"/>')
        else:
            out.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"/>')
    out.append(f'<line id="playhead" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + BAND + ph}" stroke="#000" '
               'stroke-width="1.5"/>')
    return "\n".join(out) + "</svg>"


def page(r: TagResult, out_path: Path | None = None) -> str:
    e = html.escape
    shown = [x.label for x in r.labels][:len(PALETTE)]
    colours = {label: PALETTE[i] for i, label in enumerate(shown)}
    for s in r.segments:
        colours.setdefault(s.label, PALETTE[len(colours) % len(PALETTE)])
    def colour(label):
        return colours.get(label, "#999")
    labels = "".join(f'<div class="label"><span>{e(x.label)}</span><span>{x.score:.1%}</span>'
                     f'<span class="bar" style="width:{x.score * 100:.1f}%;background:{colour(x.label)}">'
                     '</span></div>' for x in r.labels)
    legend = "".join(f'<span><i class="swatch" style="background:{c}"></i>{e(label)}</span>'
                     for label, c in colours.items())
    rows = "".join(f'<tr data-start="{s.start}" data-end="{s.end}">'
                   f'<td>{clock(s.start)}</td><td>{clock(s.end)}</td>'
                   f'<td><i class="swatch" style="background:{colour(s.label)}"></i>{e(s.label)}</td>'
                   f'<td>{s.score:.0%}</td></tr>' for s in r.segments)
    no_rows = '<tr><td colspan="4">no segment reaches the minimum score</td></tr>'
    windows = f"{len(r.windows)} window{'s' * (len(r.windows) != 1)}"
    script = SCRIPT % {"duration": r.duration, "left": LEFT, "pw": W - LEFT - RIGHT, "w": W}
    name = Path(r.file).name
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{e(name)} · tubelet</title><style>{CSS}</style></head>
<body><header><h1>{e(name)}</h1><p>{r.duration:.2f} s · {windows} · model {e(r.model)}</p></header>
<main><div><video id="video" controls preload="metadata" src="{e(_href(r.file, out_path))}"></video>
<figure class="card" style="margin:16px 0 0"><h2>Timeline</h2>{_svg(r, colours)}
<figcaption class="legend">{legend}</figcaption></figure></div>
<div><section class="card"><h2>Whole file</h2>{labels}</section>
<section class="card" style="margin-top:16px"><h2>Segments</h2><table id="segments">
<thead><tr><th>start</th><th>end</th><th>label</th><th>score</th></tr></thead>
<tbody>{rows or no_rows}</tbody></table></section></div></main>
<script>{script}</script></body></html>
"""
