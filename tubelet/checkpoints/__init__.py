"""Checkpoints: Hugging Face VideoMAE / TimeSformer / ViViT folders and tubelet's own format, both directions.

convert.py   load_model / save_pretrained: pick the converter for a folder or a model
files.py     folders on disk: find (hub cache too), read safely, write atomically
rename.py    name maps between tubelet's parameters and a foreign checkpoint's
hf_*.py      one converter per Hugging Face family
reference.py the transformers classes tubelet is checked against; parity.py runs the comparison
bundled.py   where the model shipped inside the package lives
"""
