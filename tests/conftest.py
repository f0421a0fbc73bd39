import subprocess
import sys

import pytest
import torch

torch.set_num_threads(2)


def small_config(**kw):
    from tubelet import VideoTransformerConfig
    base = dict(image_size=32, num_frames=4, patch_size=8, tubelet_size=1, dim=32, depth=2, heads=4,
                temporal_depth=1, num_labels=5)
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
    return subprocess.run([sys.executable, "-m", "tubelet", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=600)


@pytest.fixture
def clip():
    return torch.randn(2, 3, 4, 32, 32, generator=torch.Generator().manual_seed(1))
