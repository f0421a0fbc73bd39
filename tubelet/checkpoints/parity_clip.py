"""Check tubelet's video-language models against transformers' CLIPModel and XCLIPModel on the same weights and
input.

CLIP: transformers has no video CLIP, so the reference is CLIP4Clip's meanP computed with transformers' own calls:
`get_image_features` on every frame, each embedding L2-normalised, averaged over the frames, normalised again;
`get_text_features` on the same token ids, normalised; similarity = `logit_scale.exp()` x cosine. X-CLIP: the
model's own `logits_per_video` (the text prompted by each video) and `video_embeds`. Random models (every
parameter perturbed) at two sizes and in the config variants that change the computation: the legacy
`eos_token_id = 2` (read at the largest id), another activation, X-CLIP.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .parity import import_transformers, randomize

SIZES = {
    "tiny": dict(
        text=dict(vocab_size=64, hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2,
                  max_position_embeddings=12),
        vision=dict(hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2, image_size=8,
                    patch_size=4),
        projection_dim=6,
    ),
    "small": dict(
        text=dict(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  max_position_embeddings=16),
        vision=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4, image_size=32,
                    patch_size=8),
        projection_dim=24,
    ),
}  # fmt: skip
VARIANTS = {
    "clip": {},
    "clip-legacy-eos": dict(text=dict(eos_token_id=2)),  # openai's configs: read at the largest token id
    "clip-gelu": dict(text=dict(hidden_act="gelu"), vision=dict(hidden_act="gelu", layer_norm_eps=1e-6)),
    "xclip": dict(vision=dict(num_frames=8)),  # MIT as wide as the projection, as X-CLIP requires
}
XCLIP_EXTRA = dict(prompt_layers=2, prompt_num_attention_heads=2)


def reference_clip(variant: str = "clip", size: str = "small", seed: int = 0):
    """A random transformers CLIPModel: special tokens at the top of the vocabulary, as in CLIP's."""
    transformers = import_transformers()
    base, extra = SIZES[size], VARIANTS[variant]
    vocab = base["text"]["vocab_size"]
    specials = dict(bos_token_id=vocab - 2, eos_token_id=vocab - 1, pad_token_id=1)
    text = {**base["text"], **specials, **extra.get("text", {})}
    vision = {**base["vision"], **extra.get("vision", {})}
    torch.manual_seed(seed)
    projection = base["projection_dim"]
    if variant.startswith("xclip"):
        mit = dict(mit_hidden_size=projection, mit_intermediate_size=2 * projection, mit_num_attention_heads=2)
        config = transformers.XCLIPConfig(text_config=text, vision_config={**vision, **mit}, projection_dim=projection,
                                          **XCLIP_EXTRA)  # fmt: skip
        return randomize(transformers.XCLIPModel(config), seed).eval()
    config = transformers.CLIPConfig(text_config=text, vision_config=vision, projection_dim=projection)
    return randomize(transformers.CLIPModel(config), seed).eval()


def example_input(ref, frames: int = 8, batch: int = 2, texts: int = 3, seed: int = 0):
    """A random clip (B, 3, T, H, W) and token ids (N, L): start token, random words, the end-of-text token (the
    vocabulary's largest id, as in CLIP's) at a different place in each sentence, padding after it."""
    g = torch.Generator().manual_seed(seed)
    side, t = ref.config.vision_config.image_size, ref.config.text_config
    vocab, length = t.vocab_size, t.max_position_embeddings
    video = torch.randn(batch, 3, frames, side, side, generator=g)
    ids = torch.randint(2, vocab - 2, (texts, length), generator=g)
    ids[:, 0] = vocab - 2
    for i in range(texts):
        end = 1 + (i * 5 + 3) % (length - 1)
        ids[i, end], ids[i, end + 1 :] = vocab - 1, 1
    return video, ids


def _pooled(out) -> torch.Tensor:  # transformers 4 returns the tensor, 5 an output with pooler_output
    return out if isinstance(out, torch.Tensor) else out.pooler_output


@torch.no_grad()
def transformers_outputs(ref, video: torch.Tensor, ids: torch.Tensor) -> dict[str, torch.Tensor]:
    text = F.normalize(_pooled(ref.get_text_features(input_ids=ids)), dim=-1)
    if type(ref).__name__ == "XCLIPModel":
        out = ref(input_ids=ids, pixel_values=video.transpose(1, 2))
        return {"output": out.logits_per_video, "video": out.video_embeds, "text": text}
    b, _, t, h, w = video.shape
    frames = video.transpose(1, 2).reshape(b * t, 3, h, w)
    per_frame = F.normalize(_pooled(ref.get_image_features(pixel_values=frames)), dim=-1).view(b, t, -1)
    v = F.normalize(per_frame.mean(dim=1), dim=-1)
    return {"output": ref.logit_scale.exp() * v @ text.t(), "video": v, "text": text}


@torch.no_grad()
def tubelet_outputs(model, video: torch.Tensor, ids: torch.Tensor) -> dict[str, torch.Tensor]:
    similarity = model.similarity(video, model.text(ids))  # X-CLIP: the texts prompted by each video
    return {"output": similarity, "video": model.encode_video(video), "text": model.encode_tokens(ids)}


def differences(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> dict:
    """max |a - b| over the similarities and both embeddings, and the similarities' scale."""
    return {
        "shape": list(b["output"].shape),
        "max_abs_diff": max((a[k] - b[k]).abs().max().item() for k in ("output", "video", "text")),
        "scale": b["output"].abs().max().item(),
    }
