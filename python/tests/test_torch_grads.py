"""gradsieve.torch_grads on tiny models built from a config (no downloaded weights).

Skipped when torch is not installed (it is an optional dependency: pip install './python[torch]').
"""

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="torch is not installed; the projected-gradient helper is optional (pip install './python[torch]')"
)

from gradsieve.torch_grads import BLOCK_ROWS, project, projected_gradients, trainable_parameters  # noqa: E402


def tiny_mlp(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 1))


def examples(count=6, seed=1):
    generator = torch.Generator().manual_seed(seed)
    xs = torch.randn(count, 5, generator=generator)
    ys = torch.randn(count, 1, generator=generator)
    return [(xs[i:i + 1], ys[i:i + 1]) for i in range(count)]


def mse(model, example):
    x, y = example
    return torch.nn.functional.mse_loss(model(x), y)


def reference_rows(model, data, proj_dim, seed):
    """Per-example gradients by plain autograd, flattened, projected by the numpy reference."""
    rows = []
    for example in data:
        model.zero_grad()
        mse(model, example).backward()
        rows.append(torch.cat([p.grad.reshape(-1) for p in trainable_parameters(model)]).numpy().copy())
    return project(np.stack(rows), proj_dim, seed)


def test_matches_the_numpy_reference():
    model, data = tiny_mlp(), examples()
    result = projected_gradients(model, data, mse, proj_dim=16, seed=3, batch_size=4)
    assert result.shape == (6, 16) and result.dtype == np.float32
    np.testing.assert_allclose(result, reference_rows(model, data, 16, 3), rtol=1e-4, atol=1e-6)


def test_a_row_does_not_depend_on_the_batch():
    model, data = tiny_mlp(), examples()
    together = projected_gradients(model, data, mse, proj_dim=8, seed=0, batch_size=6)
    one_by_one = projected_gradients(model, data, mse, proj_dim=8, seed=0, batch_size=1)
    alone = projected_gradients(model, data[2:3], mse, proj_dim=8, seed=0)
    # Equal up to float32 rounding (a matrix product may sum in another order for another batch).
    np.testing.assert_allclose(together, one_by_one, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(alone[0], together[2], rtol=1e-4, atol=1e-6)
    other_seed = projected_gradients(model, data, mse, proj_dim=8, seed=1)
    assert not np.allclose(other_seed, together)


def test_frozen_parameters_are_left_out():
    model, data = tiny_mlp(), examples(3)
    for parameter in model[0].parameters():
        parameter.requires_grad_(False)
    assert len(trainable_parameters(model)) == 2
    result = projected_gradients(model, data, mse, proj_dim=4)
    np.testing.assert_allclose(result, reference_rows(model, data, 4, 0), rtol=1e-4, atol=1e-6)


def test_uncached_blocks_give_the_same_rows():
    torch.manual_seed(0)
    model = torch.nn.Linear(BLOCK_ROWS // 2, 3)  # more than one block of coordinates
    data = [(torch.randn(1, BLOCK_ROWS // 2), torch.randn(1, 3)) for _ in range(3)]
    cached = projected_gradients(model, data, mse, proj_dim=8)
    uncached = projected_gradients(model, data, mse, proj_dim=8, max_cached_bytes=0)
    np.testing.assert_array_equal(cached, uncached)


def test_tiny_transformer_from_a_config():
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    config = transformers.GPT2Config(vocab_size=32, n_positions=16, n_embd=8, n_layer=1, n_head=2)
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(config).eval()
    ids = [torch.randint(0, 32, (1, 6)) for _ in range(3)]
    batch = [{"input_ids": x, "attention_mask": torch.ones_like(x), "labels": x} for x in ids]
    result = projected_gradients(model, batch, proj_dim=32, seed=7, batch_size=2)
    assert result.shape == (3, 32) and np.isfinite(result).all()
    again = projected_gradients(model, batch, proj_dim=32, seed=7, batch_size=3)
    np.testing.assert_allclose(result, again, rtol=1e-4, atol=1e-6)
