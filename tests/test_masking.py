"""Masks: the defining property of each kind, exact counts, seeds, devices."""

import pytest
import torch
from einops import rearrange

from tubelet.modeling.masking import MASKINGS, hidden_fraction, make_mask

GRID = (8, 14, 14)


def g(seed=0):
    return torch.Generator().manual_seed(seed)


def test_tube_hides_the_same_places_in_every_temporal_group():
    m = rearrange(make_mask("tube", 4, GRID, 0.9, g()), "b (t s) -> b t s", t=8)
    assert (m == m[:, :1]).all()
    assert (m[:, 0].sum(1) == round(0.9 * 196)).all()
    assert not torch.equal(m[0, 0], m[1, 0])  # clips in a batch get their own tubes


def test_random_hides_an_exact_count_with_no_tube_structure():
    m = make_mask("random", 4, GRID, 0.9, g())
    assert (m.sum(1) == round(0.9 * 8 * 196)).all()
    per_time = rearrange(m, "b (t s) -> b t s", t=8)
    assert not (per_time == per_time[:, :1]).all()


def test_frame_hides_whole_temporal_groups():
    m = rearrange(make_mask("frame", 5, GRID, 0.75, g()), "b (t s) -> b t s", t=8)
    assert ((m.all(2)) | (~m).all(2)).all()  # each group all hidden or all visible
    assert (m.all(2).sum(1) == 6).all()


@pytest.mark.parametrize("kind", MASKINGS)
def test_seeded_bool_and_never_all_or_nothing(kind):
    a, b = make_mask(kind, 3, GRID, 0.9, g(7)), make_mask(kind, 3, GRID, 0.9, g(7))
    assert a.dtype == torch.bool and a.shape == (3, 8 * 196) and torch.equal(a, b)
    assert not torch.equal(a, make_mask(kind, 3, GRID, 0.9, g(8)))
    extreme = make_mask(kind, 2, (2, 2, 2), 0.99, g())
    assert extreme.any(1).all() and (~extreme).any(1).all()  # at least one hidden and one visible
    assert hidden_fraction(kind, GRID, 0.0) < 0.2


def test_bad_input():
    with pytest.raises(ValueError, match="unknown masking"):
        make_mask("checkerboard", 1, GRID)
    with pytest.raises(ValueError, match="mask ratio"):
        make_mask("tube", 1, GRID, 1.0)
