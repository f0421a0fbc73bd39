"""Parity on the released base configurations (random weights: the architecture is what is checked).

videomae-base: 16 x 224, tubelet 2, dim 768, depth 12; timesformer-base: 8 x 224; vivit-b: 32 x 224.
Run by `make test-all`; each loads a real transformers model of ~90-120M parameters."""

import pytest

from tubelet.checkpoints import parity

BASE_KINDS = ["videomae", "videomae-pretraining", "timesformer-divided", "vivit"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", BASE_KINDS)
def test_base_config_parity_both_ways(kind):
    loaded, exported = parity.round_trip(kind, size="base", batch=1)
    print(
        f"\n{kind} base: load {loaded['max_abs_diff']:.2e}, export {exported['max_abs_diff']:.2e}, "
        f"shape {loaded['shape']}"
    )
    assert loaded["max_abs_diff"] <= 1e-4 and exported["max_abs_diff"] <= 1e-4
