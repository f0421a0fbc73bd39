"""`tubelet train-text | eval-text`: train a video-language model on captioned clips (path,caption manifests);
score one on them."""

from __future__ import annotations

from pathlib import Path

from .common import UsageError, progress_choice, resolve_device
from .training import add_loop_options, add_model_options, model_overrides


def cmd_train_text(args) -> int:
    from ..training.contrastive import TextTrainConfig, train_text

    text = {"dim": args.text_dim, "depth": args.text_depth, "heads": args.text_heads, "mlp_dim": 4 * args.text_dim,
            "context_length": args.context}  # fmt: skip
    cfg = TextTrainConfig(
        data=args.data,
        out=args.out,
        model=model_overrides(args),
        text=text,
        projection_dim=args.projection_dim,
        vocab_size=args.vocab,
        init=args.init,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        warmup_epochs=args.warmup_epochs,
        crop_scale=args.crop_scale,
        workers=args.workers,
        cache=args.cache,
        seed=args.seed,
        window_seconds=args.window,
        device=resolve_device(args.device),
    )
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    result = train_text(cfg, resume=args.resume, progress=progress_choice(args))
    print(f"model in {Path(args.out) / 'best'}" + ("; test metrics in metrics.json" if "test" in result else ""))
    return 0


def cmd_eval_text(args) -> int:
    import json

    from ..checkpoints.convert import load_model
    from ..training.retrieval import evaluate_captions

    model = load_model(args.model or "video-text")
    if model.__class__.__name__ != "VideoTextModel":
        raise UsageError(f"{args.model} is not a video-language model (a CLIP / X-CLIP folder or train-text's best/)")
    m = evaluate_captions(model, args.manifest)
    if args.json:
        print(json.dumps(m.to_json(), indent=2))
    else:
        print(f"{m.clips} clips: R@1 {m.r1:.3f} R@5 {m.r5:.3f} R@10 {m.r10:.3f} median rank {m.median_rank:.0f}; "
              f"zero-shot top1 {m.zero_shot_top1:.3f} over {m.captions} captions")  # fmt: skip
    return 0


def add_commands(sub):
    p = sub.add_parser("train-text", help="train a video-language model on captioned clips (zero-shot labels)")
    p.add_argument("data", help="a folder with train.csv [val.csv test.csv] of path,caption rows, or one such CSV")
    p.add_argument("--out", required=True, help="run folder: checkpoint/ (resumable), best/ (the model), metrics.json")
    p.add_argument("--init", help="a VideoMAE or video transformer checkpoint: the video tower's starting weights")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32, help="clips per step: each is the others' negatives")
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--warmup-epochs", type=float, default=1.0)
    p.add_argument("--crop-scale", type=float, default=1.0, help="random resized crop: smallest area kept (1: none)")
    p.add_argument("--text-dim", type=int, default=128)
    p.add_argument("--text-depth", type=int, default=2)
    p.add_argument("--text-heads", type=int, default=4)
    p.add_argument("--context", type=int, default=32, help="tokens per caption (longer ones are cut)")
    p.add_argument("--vocab", type=int, default=1000, help="byte-pair vocabulary learnt from the training captions")
    p.add_argument("--projection-dim", type=int, default=128, help="the shared space's size")
    add_loop_options(p)
    add_model_options(p)
    p.set_defaults(func=cmd_train_text)

    e = sub.add_parser("eval-text", help="score a video-language model on captioned clips: R@k, median rank, zero-shot")
    e.add_argument("manifest", help="a path,caption CSV (optionally mentions and fact columns: synth captions)")
    e.add_argument("--model", help="checkpoint folder, hub id or bundled name (default: video-text)")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_eval_text)
