"""The tagging engine: several models over one decode pass, typed window results, the same numbers on every path
(in process, worker processes, `tag` and `index`)."""

import json
import pickle

import pytest
import torch
from conftest import run_cli
from tiny_model import save_tiny_model, tiny_model
from videos import BIKES, CARPHONE

from tubelet.engine import decoder as decoder_module
from tubelet.engine.engine import Engine
from tubelet.engine.messages import FileFailed, FileTagged, RunSettings
from tubelet.engine.runner import ModelRunner
from tubelet.tag.tagger import Tagger


def test_two_models_share_one_decode_pass_and_each_gets_its_own_frames_size_and_windows(monkeypatch):
    big, small = tiny_model(seed=0, frames=8, size=64), tiny_model(seed=1, frames=4, size=32)
    calls = []
    real = decoder_module.read_frames
    monkeypatch.setattr(decoder_module, "read_frames", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    engine = Engine(
        [ModelRunner(big, "big"), ModelRunner(small, "small")],
        RunSettings(shots=True),
        windows=[(2.0, 1.0), (5.0, None)],
    )
    out = engine.tag_file(BIKES)
    assert len(calls) == 1
    assert [m.model for m in out.models] == ["big", "small"]
    assert [(w.start, w.end) for w in out.models[1].windows] == [(0.0, 5.0), (2.5, 7.5), (5.0, 10.0)]
    assert len(out.models[0].windows) == 9
    calls.clear()
    alone = [Tagger(big, "big").tag(BIKES, window=2.0, stride=1.0), Tagger(small, "small").tag(BIKES, window=5.0)]
    assert len(calls) == 2
    for mw, one in zip(out.models, alone, strict=True):
        torch.testing.assert_close(mw.stacked("probs"), one.probs, atol=1e-6, rtol=0)


def test_fields_a_model_does_not_produce_are_absent_and_embeddings_are_the_pooled_features():
    model = tiny_model()
    plain = Engine([ModelRunner(model, "m")], RunSettings(window=5.0)).tag_file(CARPHONE).models[0]
    assert plain.windows[0].embedding is None and plain.windows[0].values is None and plain.windows[0].thumbnail is None
    assert plain.stacked("embedding") is None
    runner = ModelRunner(model, "m", embeddings=True)
    both = Engine([runner], RunSettings(window=5.0, thumbnails=True)).tag_file(CARPHONE).models[0]
    emb = both.stacked("embedding")
    assert emb.shape == (len(both.windows), model.config.dim) and both.windows[0].values is None
    assert all(w.thumbnail.startswith(b"\xff\xd8") for w in both.windows)  # JPEGs
    torch.testing.assert_close(both.stacked("probs"), plain.stacked("probs"), atol=1e-5, rtol=0)
    torch.testing.assert_close(model.head(emb).softmax(-1), both.stacked("probs"), atol=1e-6, rtol=0)
    result = Tagger(model, "m", embeddings=True).tag(CARPHONE, window=5.0)
    torch.testing.assert_close(result.embeddings, emb)


def test_worker_processes_give_what_this_process_gives_and_messages_pickle(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    engine = Engine([ModelRunner(tiny_model(), "m")], RunSettings(window=2.0, shots=True, thumbnails=True))
    paths = [str(BIKES), str(bad), str(CARPHONE)]
    here = {o.index: o for o in engine.run(paths)}
    there = {o.index: o for o in engine.run(paths, workers=2)}
    assert isinstance(here[1], FileFailed) and isinstance(there[1], FileFailed) and here[1] == there[1]
    for i in (0, 2):
        assert isinstance(here[i], FileTagged)
        torch.testing.assert_close(here[i].models[0].stacked("probs"), there[i].models[0].stacked("probs"))
        assert here[i].cuts == there[i].cuts
        assert [w.thumbnail for w in here[i].models[0].windows] == [w.thumbnail for w in there[i].models[0].windows]
    again = pickle.loads(pickle.dumps(here[0]))
    torch.testing.assert_close(again.models[0].stacked("probs"), here[0].models[0].stacked("probs"))


def test_engine_refuses_mismatched_settings():
    with pytest.raises(ValueError, match="at least one model"):
        Engine([])
    with pytest.raises(ValueError, match="2 window settings"):
        Engine([ModelRunner(tiny_model(), "m")], windows=[(1.0, None), (2.0, None)])


def test_tag_and_index_store_equal_window_rows(tmp_path):
    model = save_tiny_model(tmp_path / "tiny")
    videos = tmp_path / "videos"
    videos.mkdir()
    for src in (BIKES, CARPHONE):
        (videos / src.name).write_bytes(src.read_bytes())
    tagged = run_cli("tag", videos, "--model", model, "--window", "2", "--shots", "--format", "jsonl", "-q")
    assert tagged.returncode == 0, tagged.stderr
    for workers in ("0", "2"):
        db = tmp_path / f"lib{workers}.db"
        r = run_cli("index", videos, "--db", db, "--model", model, "--window", "2", "--workers", workers, "-q")
        assert r.returncode == 0, r.stderr
        exported = run_cli("library", "export", "--db", db, "--format", "jsonl")
        assert exported.returncode == 0, exported.stderr
        library = {d["file"]: d for d in map(json.loads, exported.stdout.splitlines())}
        for doc in map(json.loads, tagged.stdout.splitlines()):
            stored = library[str((tmp_path / "videos" / doc["file"].split("/")[-1]).absolute())]
            assert stored["windows"] == doc["windows"] and stored["labels"] == doc["labels"]
            keys = ("start", "end", "label", "score")
            assert [{k: s[k] for k in keys} for s in stored["segments"]] == doc["segments"]
            assert stored["shots"] == doc["shots"]


def test_a_feature_model_without_a_head_gives_embeddings_only():
    from tubelet import VideoTransformer, VideoTransformerConfig

    cfg = VideoTransformerConfig(image_size=32, patch_size=16, num_frames=4, dim=32, depth=1, heads=2)
    model = VideoTransformer(cfg).eval()
    with pytest.raises(ValueError, match="no classification head"):
        ModelRunner(model, "features")
    out = Engine([ModelRunner(model, "features", embeddings=True)], RunSettings(window=5.0)).tag_file(CARPHONE)
    windows = out.models[0]
    assert windows.stacked("probs") is None and windows.stacked("embedding").shape == (len(windows.windows), 32)
    with pytest.raises(ValueError, match="no classification head"):
        Tagger(model, embeddings=True)
