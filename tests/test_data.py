"""Training data: the in-memory cache and the label-mapping symmetry augmentation, on real synthesized MP4s."""

import itertools

import pytest
import torch
from conftest import run_cli

from tubelet import load_model
from tubelet.synth import camera, synthesize
from tubelet.training.data import ClipDataset, load_splits
from tubelet.video.preprocess import Preprocessor
from tubelet.video.symmetry import VIEWS, dataset_symmetries, model_views


@pytest.fixture(scope="module")
def camera_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("cam")
    synthesize("camera-motion", root, clips=27, seed=5, workers=1, progress=False)
    return root


def _dataset(root, train):
    splits = load_splits(root)
    label2id = {x: i for i, x in enumerate(camera.LABELS)}
    pre = Preprocessor(shortest_edge=32, crop=(32, 32))
    return ClipDataset(splits["train"], label2id, 4, pre, train=train, seed=1, symmetries=dataset_symmetries(root))


def test_dataset_json_declares_the_camera_symmetries(camera_data):
    assert dataset_symmetries(camera_data) == camera.SYMMETRIES


def test_cache_holds_exactly_what_decoding_gives(camera_data):
    ds = _dataset(camera_data, train=False)
    decoded = [ds.frames(i) for i in range(len(ds))]
    ds.cache(workers=0, progress=False)
    assert ds.cached.dtype == torch.uint8 and ds.cached.shape == (len(ds), 4, 3, 32, 32)
    assert all(torch.equal(ds.cached[i], d) for i, d in enumerate(decoded))
    assert torch.equal(ds[0][0], ds.pre.normalize(decoded[0][None])[0])


def test_symmetry_augmentation_maps_labels_with_the_pixels(camera_data):
    ds = _dataset(camera_data, train=True).cache(workers=0, progress=False)
    names = sorted(camera.SYMMETRIES)
    id2label = {i: x for x, i in ds.label2id.items()}
    used = set()
    for epoch, i in itertools.product(range(4), range(len(ds))):
        ds.epoch = epoch
        x, y = ds[i]
        base, label = ds.cached[i], ds.samples[i].label
        matches = []
        for applied in itertools.product([0, 1], repeat=len(names)):
            view, mapped = base, label
            for on, name in zip(applied, names, strict=True):
                if on:
                    view, mapped = VIEWS[name](view, 0), camera.SYMMETRIES[name].get(mapped, mapped)
            if torch.equal(ds.pre.normalize(view[None])[0], x):
                matches.append((applied, mapped))
        assert any(mapped == id2label[y] for _, mapped in matches), (i, epoch, label, id2label[y])
        used |= {a for a, _ in matches}
    assert len(used) >= 6  # the flips really vary across clips and epochs
    ds.epoch = 2
    again = ds[3]
    assert torch.equal(again[0], ds[3][0]) and again[1] == ds[3][1]  # reproducible per (seed, epoch, clip)


def test_train_with_cache_and_symmetries(camera_data, tmp_path):
    r = run_cli(
        "train",
        camera_data,
        "--out",
        tmp_path / "run",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--workers",
        "0",
        "--threads",
        "1",
        "--frames",
        "4",
        "--size",
        "32",
        "--patch",
        "8",
        "--tubelet",
        "2",
        "--stem",
        "conv",
        "--dim",
        "32",
        "--depth",
        "1",
        "--heads",
        "2",
        "--cache",
        "--symmetries",
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "run" / "best" / "model.safetensors").exists()
    # the model records the views it was trained with; tag / eval average over the group they generate
    model = load_model(tmp_path / "run" / "best")
    assert model.preprocessor["tubelet_test_views"] == camera.SYMMETRIES
    assert len(model_views(model)) == 16


def test_a_subset_of_symmetries(camera_data, tmp_path):
    from tubelet.training.data import chosen_symmetries

    chosen = chosen_symmetries(str(camera_data), "hflip, reverse")
    assert chosen == {k: camera.SYMMETRIES[k] for k in ("hflip", "reverse")}
    r = run_cli("train", camera_data, "--out", tmp_path / "run", "--epochs", "1", "--symmetries", "hflip,spin")
    assert r.returncode == 2 and "does not declare spin" in r.stderr and "Traceback" not in r.stderr


def test_symmetries_on_a_dataset_without_any_is_a_one_line_error(tmp_path):
    synthesize("temporal-order", tmp_path / "o", clips=20, seed=1, workers=1, progress=False)
    r = run_cli("train", tmp_path / "o", "--out", tmp_path / "run", "--epochs", "1", "--symmetries", "--workers", "0")
    assert r.returncode == 2 and "declares none" in r.stderr and "Traceback" not in r.stderr
