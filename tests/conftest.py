import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

torch.set_num_threads(2)


def small_config(**kw):
    from tubelet import VideoTransformerConfig

    base = dict(
        image_size=32,
        num_frames=4,
        patch_size=8,
        tubelet_size=1,
        dim=32,
        depth=2,
        heads=4,
        temporal_depth=1,
        num_labels=5,
    )
    return VideoTransformerConfig(**{**base, **kw})


def randomize(model, seed=0, scale=0.05):
    """Perturb every parameter, zero-initialised ones included, so no identity init hides a mistake."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * scale)
    return model.eval()


def run_cli(*args, env=None, cwd=None):
    """Run the real `tubelet` command in a subprocess; returns CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "tubelet", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )


@pytest.fixture
def clip():
    return torch.randn(2, 3, 4, 32, 32, generator=torch.Generator().manual_seed(1))


def model_flags(*, frames, size, patch, tubelet, dim, depth, heads) -> list[str]:
    """The model options of `tubelet train` / `pretrain` for a small test model."""
    return [
        "--frames",
        str(frames),
        "--size",
        str(size),
        "--patch",
        str(patch),
        "--tubelet",
        str(tubelet),
        "--dim",
        str(dim),
        "--depth",
        str(depth),
        "--heads",
        str(heads),
    ]


def run_args(command, data, out, *extra, epochs=3):
    """A short, single-threaded `tubelet train` / `pretrain` command on CPU."""
    return [
        command,
        data,
        "--out",
        out,
        "--epochs",
        str(epochs),
        "--batch-size",
        "8",
        "--workers",
        "0",
        "--threads",
        "1",
        "--lr",
        "2e-3",
        *extra,
    ]


def synthesized(tmp_path_factory, task, *, clips, seed):
    """A small synthetic dataset (real MP4 files), made once per test module."""
    from tubelet.synth import synthesize

    root = tmp_path_factory.mktemp(task)
    synthesize(task, root, clips=clips, seed=seed, workers=1, progress=False)
    return root


def kill_after_first_checkpoint(args, run_dir) -> int:
    """Start `tubelet ARGS`, kill -9 it once run_dir/checkpoint exists; returns the epoch that checkpoint holds."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tubelet", *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    state = run_dir / "checkpoint" / "trainer_state.pt"
    deadline = time.time() + 300
    while not state.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return torch.load(state, weights_only=True)["epoch"]


def chromium_path() -> str:
    """Debian's Chromium for the browser tests (.ci/run installs it); CI without it is a failure, not a skip."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CI"):
        pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package")
    pytest.skip("Chromium not installed (apt-get install chromium)")
