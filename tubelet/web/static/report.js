// `tag --format html`: the page carries its result as JSON; draw it.
import { showFile } from './file.js';

const result = JSON.parse(document.getElementById('result').textContent);
showFile(result.doc, result.series, document.getElementById('video'));
document.body.dataset.ready = '1';
