"""The budgets of the VideoMAE experiments: one recipe, sized for a laptop CPU, a GPU, or a test.

Every field is a knob the commands expose (`tubelet pretrain`, `tubelet train`); a preset only fixes their
values so that `tubelet experiment mae-efficiency --preset cpu` is one reproducible command.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    name: str
    clips: int  # testbed clips to synthesize (80% train, 10% val, 10% test)
    encoder: dict = field(default_factory=dict)  # VideoTransformerConfig fields of the encoder / classifier
    decoder_dim: int = 48
    decoder_depth: int = 2
    mask_ratio: float = 0.75  # 16 spatial places: 0.9 would leave 2 visible per tube group
    norm_pix_loss: bool = False  # raw pixels: per-tube normalization amplifies flat patches' noise
    pretrain_epochs: int = 120
    pretrain_batch: int = 32
    pretrain_base_lr: float = 0.012  # x batch / 256: 1.5e-3 at batch 32
    # True: each seed pretrains its own encoder, so the spread over seeds covers pretraining too. False (the
    # explicit `--shared-pretraining`): one pretraining (the first seed's) serves every fine-tuning seed
    pretrain_per_seed: bool = True
    fraction: float = 0.1  # labelled share of the training clips
    val_clips: int = 180  # validation clips that pick the best epoch (the test split scores)
    finetune_epochs: int = 80
    finetune_batch: int = 32
    finetune_lr: float = 1e-3
    layer_decay: float = 0.75  # fine-tuning only; scratch trains every layer at the full rate
    drop_path: float = 0.1
    label_smoothing: float = 0.1
    crop_scale: float = 0.7
    seeds: tuple[int, ...] = (0, 1, 2)
    full_label_epochs: int = 0  # > 0: also train from scratch on every label (the testbed check)
    threads: int | None = None
    task: str = "moving-shapes"  # the testbed: a `tubelet synth` task of constants.MAE_TASKS

    def replace(self, **changes) -> "Preset":
        return dataclasses.replace(self, **changes)


# 8 frames of 32 px in 2x8x8 tubes: 4 x 4 x 4 = 64 tokens. (2x4x4 tubes, 256 tokens, made every step 4x
# dearer on 2 cores and learnt no better in the calibration runs: docs/videomae-experiments.md)
TINY_ENCODER = dict(num_frames=8, image_size=32, patch_size=8, tubelet_size=2, dim=96, depth=4, heads=4)

PRESETS = {
    # 2 CPU cores (AVX2): mae-efficiency about 75 minutes from an empty runs/ (three pretrainings of 15 minutes),
    # mae-masking about 90 more (two more maskings, three seeds each)
    "cpu": Preset(name="cpu", clips=6000, encoder=TINY_ENCODER, pretrain_epochs=200, full_label_epochs=120),
    # one CUDA GPU, about 10 minutes: more data, a wider encoder, more epochs, one pretraining per seed
    "gpu": Preset(
        name="gpu",
        clips=24000,
        encoder={**TINY_ENCODER, "dim": 192, "depth": 6, "heads": 6},
        decoder_dim=96,
        pretrain_epochs=200,
        pretrain_batch=256,
        finetune_epochs=60,
        full_label_epochs=30,
    ),
    # a test: every stage runs, nothing is learnt
    "toy": Preset(
        name="toy",
        clips=72,
        encoder={**TINY_ENCODER, "dim": 32, "depth": 2, "heads": 2},
        decoder_dim=16,
        decoder_depth=1,
        pretrain_epochs=1,
        pretrain_batch=16,
        finetune_epochs=1,
        finetune_batch=8,
        fraction=0.5,
        val_clips=18,
        seeds=(0, 1),
        full_label_epochs=1,
    ),
}

# the budget fields: what `toy_sized` shrinks; every other field is the recipe and stays
BUDGET_FIELDS = (
    "clips",
    "encoder",
    "decoder_dim",
    "decoder_depth",
    "pretrain_epochs",
    "pretrain_batch",
    "finetune_epochs",
    "finetune_batch",
    "fraction",
    "val_clips",
    "seeds",
    "full_label_epochs",
)


def toy_sized(name: str) -> Preset:
    """Preset `name`'s recipe (per-seed pretraining or not, ratio, loss, fine-tuning knobs) at the toy's budget:
    the code path a GPU run takes, runnable on a CPU in a test."""
    toy = PRESETS["toy"]
    return PRESETS[name].replace(name=f"{name}-at-toy-size", **{k: getattr(toy, k) for k in BUDGET_FIELDS})
