"""The random projection behind gradsieve.torch_grads, checked with numpy alone (no torch)."""

import math

import numpy as np
import pytest

from gradsieve import torch_grads
from gradsieve.torch_grads import BLOCK_ROWS, project, rademacher_block


def test_module_imports_without_torch():
    # Importing must not import torch; only projected_gradients does.
    assert hasattr(torch_grads, "projected_gradients")


def test_block_entries_are_scaled_signs():
    block = rademacher_block(seed=3, block=0, rows=64, proj_dim=100)
    assert block.shape == (64, 100) and block.dtype == np.float32
    scale = np.float32(1 / math.sqrt(100))
    assert set(np.unique(block).tolist()) == {-scale, scale}
    assert abs((block > 0).mean() - 0.5) < 0.02  # 6,400 fair coin flips


def test_block_is_deterministic_and_depends_on_seed_and_index():
    a = rademacher_block(1, 0, 32, 16)
    np.testing.assert_array_equal(a, rademacher_block(1, 0, 32, 16))
    assert not np.array_equal(a, rademacher_block(2, 0, 32, 16))
    assert not np.array_equal(a, rademacher_block(1, 1, 32, 16))


def test_block_bits_are_read_least_significant_first():
    # The definition: entry (r, c) is negative when bit r*k + c of the PCG64 stream is set.
    words = np.random.PCG64(np.random.SeedSequence([9, 4])).random_raw(2)
    block = rademacher_block(9, 4, rows=4, proj_dim=32)
    bits = [(int(words[i // 64]) >> (i % 64)) & 1 for i in range(128)]
    np.testing.assert_array_equal((block.reshape(-1) < 0).astype(int), bits)


def test_a_short_block_is_a_prefix_of_the_full_block():
    full = rademacher_block(0, 5, BLOCK_ROWS, 24)
    np.testing.assert_array_equal(rademacher_block(0, 5, 10, 24), full[:10])


def test_projection_matches_the_dense_matrix_and_is_linear():
    rng = np.random.default_rng(0)
    dimension = BLOCK_ROWS * 2 + 123  # three blocks, the last one short
    grads = rng.standard_normal((3, dimension)).astype(np.float32)
    dense = np.concatenate([
        rademacher_block(11, 0, BLOCK_ROWS, 32),
        rademacher_block(11, 1, BLOCK_ROWS, 32),
        rademacher_block(11, 2, 123, 32),
    ])
    projected = project(grads, 32, seed=11)
    np.testing.assert_allclose(projected, grads.astype(np.float64) @ dense, rtol=1e-5, atol=1e-4)
    # A row's projection does not depend on the other rows.
    np.testing.assert_array_equal(project(grads[1:2], 32, seed=11), projected[1:2])
    np.testing.assert_allclose(project(grads[0] + grads[2], 32, seed=11)[0], projected[0] + projected[2], rtol=1e-4, atol=1e-3)


def test_projection_preserves_norms_and_cosines_approximately():
    rng = np.random.default_rng(1)
    base = rng.standard_normal(6000)
    near = base + 0.5 * rng.standard_normal(6000)
    grads = np.stack([base, near, rng.standard_normal(6000)]).astype(np.float32)
    projected = project(grads, 2048, seed=0).astype(np.float64)
    ratio = np.linalg.norm(projected, axis=1) / np.linalg.norm(grads, axis=1)
    assert np.all(np.abs(ratio - 1) < 0.1)  # relative error of a squared norm ~ sqrt(2/k) = 0.03

    def cos(a, b):
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    assert abs(cos(projected[0], projected[1]) - cos(grads[0].astype(float), grads[1].astype(float))) < 0.08
    assert abs(cos(projected[0], projected[2])) < 0.1


def test_seed_must_be_a_non_negative_integer():
    with pytest.raises(ValueError):
        rademacher_block(-1, 0, 1, 1)
    with pytest.raises(ValueError):
        rademacher_block(1.5, 0, 1, 1)
