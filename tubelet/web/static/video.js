// The library's video page: the file from the JSON API, drawn as the report draws it; ?t= starts the player there.
import { api } from './dom.js';
import { showFile, showTrack } from './file.js';
import { seriesFromWindows } from './timeline.js';

const video = document.getElementById('video'), id = document.body.dataset.file;
api('/api/files/' + id).then(doc => {
  const name = doc.file.split('/').pop();
  document.getElementById('name').textContent = name;
  document.title = name + ' · tubelet library';
  const start = parseFloat(new URLSearchParams(location.search).get('t') || '0');
  video.addEventListener('loadedmetadata', () => {
    if (start) video.currentTime = start;
    document.body.dataset.ready = '1';
  }, {once: true});
  video.src = doc.video_url.split('#')[0];
  showFile(doc, seriesFromWindows(doc.windows, doc.labels.map(x => x.label)), video);
  // one timeline per model the library tagged the file with: the first above, the others after it
  const tracks = doc.tracks || [];
  if (tracks.length > 1) document.querySelector('#plot').closest('figure').querySelector('h2').textContent =
    `Timeline · ${tracks[0].model}`;
  for (const track of tracks.slice(1)) showTrack(document.getElementById('tracks'), track, doc, video);
});
