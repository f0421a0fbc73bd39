"""The model side of the engine, and the one place windows are batched through a model: a `ModelRunner` holds a
loaded model with everything needed to run it (preprocessing, precision, test-time views, batch size); a
`Batcher` collects windows from any number of files and runs a full batch at once."""

from __future__ import annotations

from pathlib import Path
from typing import Hashable

import torch

from ..constants import WINDOW_SECONDS_KEY
from ..video.preprocess import Preprocessor
from ..video.symmetry import averaged_probabilities, model_views
from .decoder import Track, WindowPlan
from .messages import ModelSpec, WindowOutput


def _l3_cache_bytes(default: int = 32 * 2**20) -> int:
    try:
        text = Path("/sys/devices/system/cpu/cpu0/cache/index3/size").read_text().strip()  # e.g. "32768K"
        return int(text[:-1]) * {"K": 2**10, "M": 2**20}[text[-1]]
    except (OSError, ValueError, KeyError, IndexError):
        return default


def auto_batch_size(cfg, most: int = 8, cache_bytes: int | None = None) -> int:
    """Windows per forward pass on a CPU: as many as keep the widest activation of one pass (tokens x MLP
    width, fp32) within the last-level cache, at least 1 and at most `most`. Past the cache, the
    element-wise work (norms, GELU, residual adds) waits on memory and a bigger batch is slower per clip
    (VideoMAE-B 16x224 needs 19 MiB per clip; measured in docs/speed.md); the small bundled model is unaffected."""
    per_clip = getattr(cfg, "clip_activation_bytes", None) or cfg.num_patches * cfg.mlp_dim * 4
    return max(1, min(most, (cache_bytes or _l3_cache_bytes()) // per_clip))


class ModelRunner:
    """A model ready for inference: clips (uint8 frames) in, `WindowOutput`s out."""

    def __init__(
        self,
        model: torch.nn.Module,
        name: str = "",
        *,
        precision: str = "fp32",
        batch_size: int | None = None,
        single_view: bool = False,
        embeddings: bool = False,
        device: str | torch.device | None = None,
    ):
        from ..tag.precision import fast_forward

        cfg = getattr(model.config, "encoder", model.config)
        self.classifies = bool(getattr(model.config, "num_labels", 0))
        if not self.classifies and not (embeddings and hasattr(model, "pool")):
            raise ValueError("this model has no classification head (a pretraining or feature model); it cannot tag")
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.model, self.name, self.precision, self.embeddings = model.eval(), name, precision, embeddings
        self.device = device or next(model.parameters()).device
        self.batch_size = batch_size or auto_batch_size(cfg)
        self.forward = fast_forward(self.model, precision)
        self.num_frames, self.id2label = cfg.num_frames, cfg.id2label
        self.pre = Preprocessor.from_config(getattr(model, "preprocessor", None), cfg.image_size)
        # a model trained on short clips (the camera-motion default) says which window it expects
        self.default_window = (getattr(model, "preprocessor", None) or {}).get(WINDOW_SECONDS_KEY)
        # a model trained with label symmetries (mirrors, time reversal) is run on every view of each window
        self.views = None if single_view else model_views(model)
        # a video-language model scores the labels set on it (`set_labels`): one pass, no views
        self.text_labels = hasattr(model, "label_features") and self.classifies

    @classmethod
    def load(cls, spec: ModelSpec, device: str | None = None) -> "ModelRunner":
        from ..checkpoints.convert import load_model

        model = load_model(spec.model, device=device or "cpu")
        if spec.labels is not None:
            model.set_labels(list(spec.labels), spec.template)
        return cls(
            model,
            spec.name or spec.model,
            precision=spec.precision,
            batch_size=spec.batch_size,
            single_view=spec.single_view,
            embeddings=spec.embeddings,
        )

    def track(self, window: float | str | None = None, stride: float | None = None) -> Track:
        return Track(self.pre, self.num_frames, WindowPlan.choose(window, stride, self.default_window))

    @torch.inference_mode()
    def run(self, clips: list[torch.Tensor]) -> list[WindowOutput]:
        """Window frames (T, 3, H, W) uint8 -> one output per window."""
        x = self.pre.normalize(torch.stack([c.to(self.device) for c in clips]))
        embedding = probs = similarity = None
        if self.text_labels:  # labels typed at run time: similarities to their texts, and the softmax over them
            logits, embedding = getattr(self.forward, "forward_with_embedding", self.model.forward_with_embedding)(x)
            similarity = (logits / self.model.logit_scale.exp()).float().cpu()
            probs, embedding = logits.float().softmax(dim=-1).cpu(), embedding.float().cpu()
        elif self.embeddings and hasattr(self.model, "forward_with_embedding") and not self.views:
            # a frame model: one pass gives both (through the inference copy when the precision is fp32)
            logits, embedding = getattr(self.forward, "forward_with_embedding", self.model.forward_with_embedding)(x)
            probs, embedding = logits.float().softmax(dim=-1).cpu(), embedding.float().cpu()
        elif self.embeddings:  # the pooled features of the video tower (fp32, the model as trained)
            embedding = self.model.pool(self.model.forward_features(x)).float().cpu()
        if not self.classifies or probs is not None:  # a feature model (embeddings only), or done above
            pass
        elif self.views:
            probs = averaged_probabilities(self.forward, x, self.views).cpu()
        elif embedding is not None and getattr(self.model, "head_on_pool", True):  # one pass gives both
            probs = self.model.head(embedding.to(self.device)).float().softmax(dim=-1).cpu()
        else:
            probs = self.forward(x).float().softmax(dim=-1).cpu()
        return [
            WindowOutput(
                probs=None if probs is None else probs[i],
                embedding=None if embedding is None or not self.embeddings else embedding[i],
                similarity=None if similarity is None else similarity[i],
            )
            for i in range(len(clips))
        ]


class Batcher:
    """Windows wait here until their file has a full batch (or the file ends), then run at once.

    A batch never mixes files: a window's numbers then depend only on its own file (float sums differ in the last
    bit with the batch's other members), so `tag` and `index` of a file agree exactly, however many files a run
    holds and in whatever order worker processes finish them."""

    def __init__(self, runner: ModelRunner):
        self.runner, self.pending = runner, {}

    def add(self, group: Hashable, key: Hashable, clip) -> list[tuple[Hashable, WindowOutput]]:
        waiting = self.pending.setdefault(group, [])
        waiting.append((key, torch.as_tensor(clip)))
        return self._run(group, force=False)

    def flush(self, group: Hashable) -> list[tuple[Hashable, WindowOutput]]:
        return self._run(group, force=True) if group in self.pending else []

    def drop(self, group: Hashable):
        """Forget a file's waiting windows (it failed part way)."""
        self.pending.pop(group, None)

    def _run(self, group: Hashable, force: bool) -> list[tuple[Hashable, WindowOutput]]:
        done, size, waiting = [], self.runner.batch_size, self.pending[group]
        while waiting and (force or len(waiting) >= size):
            batch, waiting[:] = waiting[:size], waiting[size:]
            done += zip([key for key, _ in batch], self.runner.run([clip for _, clip in batch]), strict=True)
        if not waiting:
            del self.pending[group]
        return done
