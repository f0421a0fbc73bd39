"""Experiments and measurements: the attention-scheme experiment, VideoMAE's claims on our data, the attention
benchmark, and the timing / peak-memory helpers every benchmark uses."""
