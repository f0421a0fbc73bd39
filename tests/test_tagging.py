"""What `tag` computes: windows, sampling over the whole file, preprocessing parity, averaging, segments."""

import numpy as np
import pytest
import torch
from tiny_model import LABELS, tiny_model
from videos import BIKES, BUNNY, CARPHONE, index_of, write_video

from tubelet.tag.segments import SegmentRules, merge_segments
from tubelet.tag.tagger import Tagger
from tubelet.video.decode import probe, read_frames
from tubelet.video.preprocess import Preprocessor
from tubelet.video.sampling import plan_windows, sample_times


def test_windows_cover_the_file_and_the_tail():
    assert plan_windows(10, None, None) == [(0.0, 10)]
    assert plan_windows(10, 2, 1) == [(float(s), float(s + 2)) for s in range(9)]
    assert plan_windows(10, 3, 2) == [(0.0, 3.0), (2.0, 5.0), (4.0, 7.0), (6.0, 9.0), (7.0, 10)]
    assert plan_windows(1.5, 2, 1) == [(0.0, 1.5)]  # shorter than a window: one window
    assert plan_windows(10, 4, None) == [(0.0, 4.0), (2.0, 6.0), (4.0, 8.0), (6.0, 10.0)]  # stride = window / 2


def test_samples_are_uniform_over_the_span():
    assert sample_times(0, 8, 4) == [1.0, 3.0, 5.0, 7.0]
    assert sample_times(2, 3, 2) == [2.25, 2.75]


def _recording(tagger):
    seen = []
    resize = tagger.pre.resize
    tagger.pre.resize = lambda rgb: (seen.append(index_of(rgb)), resize(rgb))[1]
    return seen


def test_clip_label_samples_the_whole_file_not_its_start(tmp_path):
    video = write_video(tmp_path / "v.mp4", n=200, rate=20, w=64, h=48)  # 10 s
    tagger = Tagger(tiny_model(), "tiny")
    seen = _recording(tagger)
    result = tagger.tag(video)
    assert len(result.windows) == 1 and result.windows[0].end == pytest.approx(10.0, abs=0.06)
    # 8 frames at the centres of 8 equal parts of the file: frames 12, 37, ..., 187 (level wraps every 26)
    expected = [(int((i + 0.5) * 200 / 8)) % 26 for i in range(8)]
    assert [s % 26 for s in seen] == expected


def test_a_file_shorter_than_the_window_is_one_window_with_repeated_frames(tmp_path):
    video = write_video(tmp_path / "short.mp4", n=5, rate=10)  # 0.5 s, 5 frames, model wants 8
    tagger = Tagger(tiny_model(), "tiny")
    seen = _recording(tagger)
    result = tagger.tag(video, window=2.0)
    assert [(w.start, w.end) for w in result.windows] == [(0.0, 0.5)]
    assert sorted(set(seen)) == [0, 1, 2, 3, 4]  # each frame converted once, repeated into 8 slots


def test_file_labels_are_the_mean_of_window_probabilities():
    result = Tagger(tiny_model(), "tiny", top_k=4).tag(BIKES, window=2.0, stride=1.0)
    assert len(result.windows) == 9 and result.probs.shape == (9, 4)
    mean = result.probs.mean(dim=0)
    assert [x.label for x in result.labels] == [LABELS[int(i)] for i in mean.argsort(descending=True)]
    assert [x.score for x in result.labels] == pytest.approx(sorted(mean.tolist(), reverse=True), abs=1e-6)
    for w, p in zip(result.windows, result.probs, strict=True):
        assert w.labels[0].label == LABELS[int(p.argmax())]


def test_window_results_equal_running_the_model_by_hand():
    """The tagger's batched pipeline = decode these frames, HF-preprocess them, one forward pass."""
    from transformers.models.videomae.image_processing_pil_videomae import VideoMAEImageProcessorPil

    model = tiny_model()
    result = Tagger(model, "tiny", batch_size=3).tag(BUNNY, window=2.0, stride=1.0)
    hf = VideoMAEImageProcessorPil(**{k: v for k, v in model.preprocessor.items() if k != "image_processor_type"})
    info = probe(BUNNY)
    for w, probs in zip(result.windows, result.probs, strict=True):
        frames = [f for _, f in sorted(read_frames(BUNNY, sample_times(w.start, w.end, 8), info))]
        clip = hf(frames, return_tensors="pt")["pixel_values"].transpose(1, 2)
        with torch.no_grad():
            by_hand = model(clip).softmax(-1)[0]
        assert int(by_hand.argmax()) == int(probs.argmax())
        assert (by_hand - probs).abs().max() < 0.02


@pytest.mark.parametrize("video", [BIKES, BUNNY, CARPHONE], ids=lambda p: p.name)
def test_preprocessing_matches_videomae_image_processor_on_real_frames(video):
    """transformers 5's VideoMAEImageProcessor has a torchvision backend and a PIL one with the same
    config; torchvision cannot be installed beside this torch build, so the PIL implementation is the reference."""
    from transformers.models.videomae.image_processing_pil_videomae import VideoMAEImageProcessorPil

    hf = VideoMAEImageProcessorPil()  # 224 shortest edge, 224 crop, ImageNet-standard mean/std
    ours = Preprocessor.from_config(hf.to_dict(), 224)
    info = probe(video)
    frames = [f for _, f in sorted(read_frames(video, sample_times(0, info.duration, 16), info))]
    a = ours(frames)
    b = hf(frames, return_tensors="pt")["pixel_values"].transpose(1, 2)
    grey_levels = (a - b).abs() * torch.tensor(ours.std).view(1, 3, 1, 1, 1) * 255
    assert a.shape == b.shape == (1, 3, 16, 224, 224)
    assert grey_levels.max() <= 1.01 and grey_levels.mean() < 0.2  # rounding of the resize, at most 1 level
    model = tiny_model(frames=16, size=224)
    with torch.no_grad():
        assert int(model(a).argmax()) == int(model(b).argmax())


def test_vivit_style_offset_rescale():
    pre = Preprocessor.from_config(
        {
            "size": {"shortest_edge": 8},
            "crop_size": {"height": 8, "width": 8},
            "rescale_factor": 1 / 127.5,
            "offset": True,
            "image_mean": [0.5] * 3,
            "image_std": [0.5] * 3,
        },
        8,
    )
    white = pre([np.full((8, 8, 3), 255, np.uint8)])
    black = pre([np.zeros((8, 8, 3), np.uint8)])
    assert torch.allclose(white, torch.full_like(white, 1.0)) and torch.allclose(black, torch.full_like(black, -3.0))


def test_segments_merge_runs_and_tile_the_file():
    windows = [(s, s + 2.0) for s in (0.0, 1.0, 2.0, 3.0, 4.0, 5.0)]
    probs = torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6], [0.45, 0.55], [0.6, 0.4]])
    plain = SegmentRules.plain()
    segs = merge_segments(windows, probs, {0: "a", 1: "b"}, duration=7.0, rules=plain)
    assert [(s.label, s.start, s.end) for s in segs] == [("a", 0.0, 2.5), ("b", 2.5, 5.5), ("a", 5.5, 7.0)]
    assert segs[1].score == pytest.approx((0.7 + 0.6 + 0.55) / 3)
    strict = merge_segments(windows, probs, {0: "a", 1: "b"}, 7.0, min_score=0.65, rules=plain)
    assert [s.label for s in strict] == ["a"]


def _timeline(probs, rules, cuts=()):
    windows = [(float(s), float(s) + 2.0) for s in range(len(probs))]
    segs = merge_segments(windows, torch.tensor(probs), {0: "a", 1: "b"}, len(probs) + 1.0, rules=rules, cuts=cuts)
    return [(s.label, s.start, s.end) for s in segs]


def test_hysteresis_needs_more_to_open_a_segment_than_to_keep_one():
    doubtful = [[0.9, 0.1], [0.8, 0.2], [0.45, 0.55], [0.8, 0.2], [0.9, 0.1]]  # one window barely prefers b
    assert _timeline(doubtful, SegmentRules.plain())[1][0] == "b"
    assert _timeline(doubtful, SegmentRules(smooth=1, open=0.6, keep=0.3, min_duration=0)) == [("a", 0.0, 6.0)]
    clear = [[0.9, 0.1], [0.8, 0.2], [0.1, 0.9], [0.1, 0.9], [0.2, 0.8]]  # b clearly opens
    assert [x[0] for x in _timeline(clear, SegmentRules(smooth=1, open=0.6, keep=0.3, min_duration=0))] == ["a", "b"]


def test_min_duration_absorbs_short_segments_and_smoothing_averages_neighbours():
    flicker = [[0.9, 0.1], [0.9, 0.1], [0.3, 0.7], [0.9, 0.1], [0.9, 0.1]]
    assert len(_timeline(flicker, SegmentRules.plain())) == 3
    assert _timeline(flicker, SegmentRules(smooth=1, open=0, keep=0, min_duration=1.5)) == [("a", 0.0, 6.0)]
    assert _timeline(flicker, SegmentRules(smooth=3, open=0, keep=0, min_duration=0)) == [("a", 0.0, 6.0)]


def test_segments_never_cross_a_cut():
    same = [[0.9, 0.1]] * 6
    assert _timeline(same, SegmentRules(), cuts=[2.6]) == [("a", 0.0, 2.6), ("a", 2.6, 7.0)]
    # a shot shorter than the window spacing still gets a segment, labelled by the nearest window
    assert _timeline(same, SegmentRules(), cuts=[2.6, 2.8]) == [("a", 0.0, 2.6), ("a", 2.6, 2.8), ("a", 2.8, 7.0)]


def test_batch_size_does_not_change_the_answer():
    model = tiny_model()
    a = Tagger(model, batch_size=1).tag(BIKES, window=2.0, stride=1.0)
    b = Tagger(model, batch_size=16).tag(BIKES, window=2.0, stride=1.0)
    torch.testing.assert_close(a.probs, b.probs, atol=1e-5, rtol=0)


def test_auto_batch_keeps_a_pass_within_the_cache():
    from tubelet import VideoTransformerConfig
    from tubelet.engine.runner import auto_batch_size

    base = VideoTransformerConfig()  # VideoMAE-B: 1568 tokens x 3072 wide
    small = VideoTransformerConfig(dim=64, heads=4, depth=2)
    assert auto_batch_size(base, cache_bytes=32 * 2**20) == 1  # 18.4 MiB per clip: one fits
    assert auto_batch_size(base, cache_bytes=64 * 2**20) == 3
    assert auto_batch_size(small, cache_bytes=32 * 2**20) == 8  # 1.5 MiB per clip: capped at 8
    assert auto_batch_size(base, cache_bytes=1) == 1  # never below one window
    assert Tagger(tiny_model()).batch_size == 8
    with pytest.raises(ValueError, match="at least 1"):
        Tagger(tiny_model(), batch_size=-2)


def test_a_model_without_a_head_cannot_tag():
    from tubelet import VideoTransformer, VideoTransformerConfig

    with pytest.raises(ValueError, match="no classification head"):
        cfg = VideoTransformerConfig(image_size=32, patch_size=16, num_frames=4, dim=32, depth=1, heads=2)
        Tagger(VideoTransformer(cfg))


def test_memory_stays_bounded_on_a_long_high_resolution_file(tmp_path):
    """300 frames of 1080p decode to 1.9 GB of RGB; the tagger must never hold them all."""
    import subprocess
    import sys

    from tiny_model import save_tiny_model

    video = write_video(tmp_path / "hd.mp4", n=300, rate=30, w=1920, h=1080, options={"preset": "ultrafast"})
    model = save_tiny_model(tmp_path / "m")
    # VmHWM, the peak of this process's own address space (ru_maxrss would include the parent's from before exec)
    code = (
        "import re, sys; from tubelet.cli import main; rc = main(sys.argv[1:]); "
        "hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1); "
        "print(int(hwm) // 1024, file=sys.stderr); sys.exit(rc)"
    )
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "tag",
            str(video),
            "--model",
            str(model),
            "--window",
            "1",
            "--stride",
            "0.25",
            "-q",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    peak_mib = int(r.stderr.strip().splitlines()[-1])
    assert peak_mib < 800, f"peak RSS {peak_mib} MiB"
