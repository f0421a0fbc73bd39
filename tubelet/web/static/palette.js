// The one palette of tubelet's pages: a label keeps its colour across the timeline, bars, legend and tables.
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf',
  '#bcbd22', '#7f7f7f'];

// colours in order of first appearance: the whole-file labels first (best first), then any other segment label
export function labelColours(labels) {
  const map = new Map();
  for (const label of labels) if (!map.has(label)) map.set(label, PALETTE[map.size % PALETTE.length]);
  return label => map.get(label) || '#999';
}
