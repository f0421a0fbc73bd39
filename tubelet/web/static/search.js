// The library's search page: label suggestions, filters, thumbnails that open the video at the segment.
import { api, clock, el } from './dom.js';

api('/api/labels').then(async list => {
  const options = document.getElementById('labels');
  list.forEach(x => options.appendChild(el('option', {value: x.label}, `${x.segments} segments`)));
  // general words ("dog", "vehicle") that name several labels, from the models' word lists
  (await api('/api/words')).forEach(x => options.appendChild(el('option', {value: x.word}, `${x.labels} labels`)));
});

const field = name => document.getElementById(name);

async function search(ev) {
  if (ev) ev.preventDefault();
  const q = new URLSearchParams({label: field('label').value, min_score: field('min_score').value || 0,
    min_duration: field('min_duration').value || 0, limit: 60});
  if (field('path').value) q.set('path', field('path').value);
  history.replaceState(null, '', '/?' + q);
  const box = field('results');
  box.replaceChildren();
  const res = await api('/api/search?' + q);
  const under = res.labels.length > 1 ? ` (${res.labels.length} labels under it)` : '';
  field('summary').textContent = `${res.hits.length} segments labelled ${res.label}${under}`;
  field('empty').textContent = res.hits.length ? '' : 'nothing found';
  for (const h of res.hits) {
    const a = el('a', {class: 'hit', href: h.page_url});
    a.appendChild(el('img', {src: h.thumbnail_url, alt: `${h.label} at ${clock(h.start)}`, loading: 'lazy'}));
    const d = el('div');
    d.append(el('b', {}, h.file.split('/').pop()),
      el('span', {}, `${clock(h.start)} - ${clock(h.end)} · ${h.label} ${(100 * h.score).toFixed(0)}%`));
    a.appendChild(d);
    box.appendChild(a);
  }
  document.body.dataset.searched = '1';
}

field('search').addEventListener('submit', search);
const initial = new URLSearchParams(location.search);
for (const k of ['label', 'min_score', 'min_duration', 'path']) if (initial.get(k)) field(k).value = initial.get(k);
if (initial.get('label')) search();
document.body.dataset.ready = '1';
