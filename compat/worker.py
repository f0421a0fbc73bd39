"""Runs inside one transformers version's virtual environment (compat/matrix.py starts it there).

    --check           random models of every supported class, saved by this transformers: loaded into tubelet
                      (outputs compared), exported by tubelet and loaded back by this transformers (outputs
                      compared with the original model's); plus the hub-layout fixtures, loaded by both
    --fixtures DIR    tiny models of every class saved by this transformers, with an input and the outputs this
                      transformers computes on it (expected.safetensors): the CI tests read these without it
    --hub-fixtures DIR  the layout of the published hub checkpoints (tensor names, config fields, file format),
                      in tiny models, with expected outputs
    --fields          every config field that changes the computation, alone at each value, and 100 random
                      combinations per family (checkpoints/config_fields.py): exact / refused / not built

Prints one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from tubelet.checkpoints import config_fields, parity, parity_clip
from tubelet.checkpoints.convert import load_model, save_pretrained
from tubelet.checkpoints.reference import KINDS

# published checkpoints whose on-disk layout the hub fixtures reproduce: (kind, file format, config fields the
# released config.json carries beyond the architecture sizes)
HUB = {
    "MCG-NJU--videomae-base-finetuned-kinetics": (
        "videomae",
        "bin",
        dict(
            architectures=["VideoMAEForVideoClassification"],
            decoder_hidden_size=384,
            decoder_intermediate_size=1536,
            decoder_num_attention_heads=6,
            decoder_num_hidden_layers=4,
            hidden_act="gelu",
            initializer_range=0.02,
            layer_norm_eps=1e-12,
            model_type="videomae",
            norm_pix_loss=True,
            problem_type="single_label_classification",
            qkv_bias=True,
            torch_dtype="float32",
            transformers_version="4.26.0.dev0",
            use_mean_pooling=True,
        ),
    ),
    "facebook--timesformer-base-finetuned-k400": (
        "timesformer-divided",
        "bin",
        dict(
            architectures=["TimesformerForVideoClassification"],
            attention_type="divided_space_time",
            drop_path_rate=0,
            hidden_act="gelu",
            initializer_range=0.02,
            layer_norm_eps=1e-06,
            model_type="timesformer",
            qkv_bias=True,
            torch_dtype="float32",
            transformers_version="4.25.0.dev0",
        ),
    ),
    "google--vivit-b-16x2-kinetics400": (
        "vivit",
        "bin",
        dict(
            architectures=["VivitForVideoClassification"],
            hidden_act="gelu_fast",
            initializer_range=0.02,
            layer_norm_eps=1e-06,
            model_type="vivit",
            qkv_bias=True,
            torch_dtype="float32",
            transformers_version="4.27.0.dev0",
        ),
    ),
}
TOL = 1e-4


def _input_for(folder: Path):
    ours = load_model(folder)
    cfg = ours.config.encoder if hasattr(ours.config, "encoder") else ours.config
    return ours, parity.example_input(cfg, batch=2, seed=0)


def check_kind(kind: str, tmp: Path) -> dict:
    """transformers -> tubelet, and tubelet -> transformers, on one kind."""
    ref = parity.reference_model(kind, "small", seed=0)
    arch = type(ref).__name__
    ref.save_pretrained(str(tmp / kind / "hf"))
    ours, (video, mask) = _input_for(tmp / kind / "hf")
    expected = parity.transformers_outputs(ref, arch, video, mask)
    loaded = parity.differences(parity.tubelet_outputs(ours, arch, video, mask), expected)
    save_pretrained(ours, tmp / kind / "back")
    back, info = type(ref).from_pretrained(str(tmp / kind / "back"), output_loading_info=True)
    exported = parity.differences(parity.transformers_outputs(back.eval(), arch, video, mask), expected)
    return {
        "kind": kind,
        "architecture": arch,
        "load": loaded,
        "export": exported,
        "export_missing": sorted(info.get("missing_keys", [])),
        "export_unexpected": len(info.get("unexpected_keys", [])),
    }


def check_clip(variant: str, tmp: Path) -> dict:
    """A CLIPModel as a video model by meanP, or an XCLIPModel, both directions (the same token ids to both)."""
    ref = parity_clip.reference_clip(variant, "small", seed=0)
    ref.save_pretrained(str(tmp / variant / "hf"))
    ours = load_model(tmp / variant / "hf")
    video, ids = parity_clip.example_input(ref)
    expected = parity_clip.transformers_outputs(ref, video, ids)
    loaded = parity_clip.differences(parity_clip.tubelet_outputs(ours, video, ids), expected)
    save_pretrained(ours, tmp / variant / "back")
    back, info = type(ref).from_pretrained(str(tmp / variant / "back"), output_loading_info=True)
    exported = parity_clip.differences(parity_clip.transformers_outputs(back.eval(), video, ids), expected)
    return {
        "kind": variant,
        "architecture": type(ref).__name__ + (" (meanP)" if type(ref).__name__ == "CLIPModel" else ""),
        "load": loaded,
        "export": exported,
        "export_missing": sorted(info.get("missing_keys", [])),
        "export_unexpected": len(info.get("unexpected_keys", [])),
    }


def check_fixture(folder: Path) -> dict:
    """A fixture folder loaded by tubelet and by this transformers, on its stored input, both compared with the
    stored outputs (computed by the release that wrote the folder)."""
    stored = load_file(str(folder / "expected.safetensors"))
    expected = {k: v for k, v in stored.items() if k in ("output", "loss")}
    ref, arch = parity.load_reference(folder)
    video, mask = stored["video"], stored["mask"].bool()
    ours = parity.tubelet_outputs(load_model(folder), arch, video, mask)
    return {
        "fixture": folder.name,
        "architecture": arch,
        "tubelet_vs_stored": parity.differences(ours, expected),
        "this_transformers_vs_stored": parity.differences(
            parity.transformers_outputs(ref, arch, video, mask), expected
        ),
    }


def write_fixture(model, folder: Path, fmt: str = "safetensors", config_fields: dict | None = None):
    """model saved as this transformers saves it, plus its input and outputs (expected.safetensors)."""
    arch = type(model).__name__
    model.save_pretrained(str(folder), safe_serialization=True)
    config_path = folder / "config.json"
    if config_fields:
        config = json.loads(config_path.read_text())
        config.update(config_fields)
        config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    if fmt == "bin":  # the legacy format most hub checkpoints were published in
        state = load_file(str(folder / "model.safetensors"))
        torch.save(state, folder / "pytorch_model.bin")
        (folder / "model.safetensors").unlink()
    _, (video, mask) = _input_for(folder)
    outputs = parity.transformers_outputs(model, arch, video, mask)
    tensors = {"video": video.contiguous(), "mask": mask.to(torch.uint8), **outputs}
    save_file(tensors, str(folder / "expected.safetensors"))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--hub", help="folder of hub-layout fixtures to check")
    ap.add_argument("--fixtures")
    ap.add_argument("--hub-fixtures")
    ap.add_argument("--fields", action="store_true", help="walk every config field, and random combinations")
    args = ap.parse_args(argv)
    transformers = parity.import_transformers()
    report = {"transformers": transformers.__version__, "torch": torch.__version__}
    if args.fixtures:
        for kind in KINDS:
            write_fixture(parity.reference_model(kind, "tiny", seed=0), Path(args.fixtures) / kind)
        report["fixtures"] = sorted(KINDS)
    if args.hub_fixtures:
        for name, (kind, fmt, fields) in HUB.items():
            write_fixture(parity.reference_model(kind, "tiny", seed=1), Path(args.hub_fixtures) / name, fmt, fields)
        report["hub_fixtures"] = sorted(HUB)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            report["kinds"] = [check_kind(kind, Path(tmp)) for kind in KINDS]
            report["kinds"] += [check_clip(variant, Path(tmp)) for variant in parity_clip.VARIANTS]
    if args.hub:
        report["hub"] = [check_fixture(p) for p in sorted(Path(args.hub).iterdir()) if p.is_dir()]
    if args.fields:
        report["fields"] = [o.to_json() for family in config_fields.FAMILIES for o in config_fields.walk(family)]
        report["random"] = [
            config_fields.check(family, fields, seed=i).to_json()
            for family in config_fields.FAMILIES
            for i, fields in enumerate(config_fields.random_configs(family, 100, seed=1))
        ]
    json.dump(report, sys.stdout, indent=2)


if __name__ == "__main__":
    main()
