"""What every command group of the command line shares: the usage error, the bundled-model default, the device."""

from __future__ import annotations

from ..errors import TubeletError


class UsageError(TubeletError):
    """A bad combination of options; one line for the user."""


def default_model(video_text: bool = False) -> str:
    """--model when none is given: the camera-motion model shipped in the package; with typed labels, the
    bundled video-language model."""
    from ..checkpoints.bundled import VIDEO_TEXT, bundled_model_path

    path = bundled_model_path(VIDEO_TEXT) if video_text else bundled_model_path()
    if path is None:
        raise UsageError("no default model is bundled in this version; pass --model FOLDER_OR_HUB_ID")
    return str(path)


def resolve_device(device: str | None) -> str:
    """--device when none is given: the GPU if torch sees one, else the CPU (decided when the command runs, so
    building the parser never imports torch)."""
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def progress_choice(args) -> bool | None:
    """--progress forces the bar, -q hides it, neither: a bar only when stderr is a terminal."""
    return True if getattr(args, "progress", False) else (False if args.quiet else None)


def add_segment_options(p):
    """The segment rules of tag/segments.py (defaults chosen by measurement: bench/segment_rules.py)."""
    g = p.add_argument_group("segments")
    g.add_argument("--smooth", type=int, help="windows averaged before labelling (default 1: none; try 3)")
    g.add_argument(
        "--open-score",
        type=float,
        help="score a new label needs to start a segment (default 0: hysteresis off; try 0.5)",
    )
    g.add_argument(
        "--keep-score",
        type=float,
        help="score the current label needs to go on while no other can open (default 0; try 0.4)",
    )
    g.add_argument("--min-duration", type=float, help="shorter segments join a neighbour (seconds, default 1)")


def segment_rules(args):
    from ..tag.segments import SegmentRules

    d = SegmentRules()
    if args.smooth is not None and args.smooth < 1:
        raise UsageError("--smooth must be at least 1")
    return SegmentRules(
        smooth=d.smooth if args.smooth is None else args.smooth,
        open=d.open if args.open_score is None else args.open_score,
        keep=d.keep if args.keep_score is None else args.keep_score,
        min_duration=d.min_duration if args.min_duration is None else args.min_duration,
    )


def add_label_options(p):
    """Labels typed at run time, for a video-language model (text/labels.py reads and checks them)."""
    p.add_argument("--labels", help='a video-language model\'s labels, comma-separated: "a dog, the camera pans left"')
    p.add_argument("--labels-file", help="a video-language model's labels, one per line (UTF-8)")
    p.add_argument(
        "--prompt-template", default="{}", help='each label is written into it, e.g. "a video of {}" (default: as is)'
    )
