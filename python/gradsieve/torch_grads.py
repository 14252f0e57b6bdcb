"""LESS-style projected per-example gradients of a PyTorch model (optional; needs torch).

For each example, the gradient of its loss with respect to the model's trainable parameters is
flattened into one vector g of length D (parameters in order, each flattened row-major) and
projected to ``proj_dim`` dimensions by a fixed random Rademacher matrix P [D, proj_dim] with
entries +-1/sqrt(proj_dim): the example's row is g @ P. Random projections keep inner products
and norms in expectation (Johnson-Lindenstrauss), so cosines between projected gradients, which
gradsieve's methods use, approximate the cosines of the full gradients.

P is never held whole. Its rows come in blocks of ``BLOCK_ROWS`` coordinates of g; block j is
generated from ``SeedSequence([seed, j])`` with numpy's PCG64 bit generator (raw 64-bit words,
one sign per bit), independently of every other block, so memory stays bounded by one block
(``BLOCK_ROWS * proj_dim`` float32) whatever D is.

A row's projection therefore depends only on the example's gradient, ``seed`` and the parameter
order (which fixes which coordinate of g is which): not on the batch it was computed in, the
batch size, the device, or the torch version (up to floating-point rounding, which the
float64 accumulation over blocks keeps small). Gradients computed in different processes or on
different days with the same seed and the same model layout are comparable, which is what a
pool needs (the training rows and the validation rows must share one P).

torch is imported only when :func:`projected_gradients` runs; :func:`rademacher_block` and
:func:`project` are numpy-only.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, List, Optional, Sequence

import numpy as np

__all__ = ["BLOCK_ROWS", "project", "projected_gradients", "rademacher_block", "trainable_parameters"]

# Coordinates of the flattened gradient per generated block of P. Part of the definition of P:
# changing it changes every projection.
BLOCK_ROWS = 4096


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def rademacher_block(seed: int, block: int, rows: int, proj_dim: int) -> np.ndarray:
    """Rows ``[block * BLOCK_ROWS, block * BLOCK_ROWS + rows)`` of P, float32 [rows, proj_dim].

    Entry (r, c) is -1/sqrt(proj_dim) when bit r * proj_dim + c of the block's stream is set,
    +1/sqrt(proj_dim) otherwise; the stream is PCG64(SeedSequence([seed, block])).random_raw(),
    each 64-bit word read least significant bit first. A shorter block (the last one) is a prefix
    of the full one.
    """
    seed = _check_seed(seed)
    if not 0 <= rows <= BLOCK_ROWS:
        raise ValueError(f"rows must be in [0, {BLOCK_ROWS}], got {rows}")
    if proj_dim < 1:
        raise ValueError("proj_dim must be at least 1")
    count = rows * proj_dim
    generator = np.random.PCG64(np.random.SeedSequence([seed, int(block)]))
    words = np.asarray(generator.random_raw((count + 63) // 64), dtype=np.uint64).astype("<u8")
    bits = np.unpackbits(words.view(np.uint8), bitorder="little")[:count]
    scale = np.float32(1.0 / math.sqrt(proj_dim))
    signs = np.where(bits.astype(bool), -scale, scale).astype(np.float32)
    return signs.reshape(rows, proj_dim)


def project(flat_grads: np.ndarray, proj_dim: int, seed: int = 0) -> np.ndarray:
    """numpy reference: rows of ``flat_grads`` [n, D] times P, as float32 [n, proj_dim]."""
    grads = np.atleast_2d(np.asarray(flat_grads, dtype=np.float32))
    total = grads.shape[1]
    result = np.zeros((grads.shape[0], proj_dim), dtype=np.float64)
    for block, start in enumerate(range(0, total, BLOCK_ROWS)):
        stop = min(total, start + BLOCK_ROWS)
        result += grads[:, start:stop].astype(np.float64) @ rademacher_block(seed, block, stop - start, proj_dim)
    return result.astype(np.float32)


def trainable_parameters(model: Any) -> List[Any]:
    """The parameters that are projected, in ``model.named_parameters()`` order."""
    return [parameter for _, parameter in model.named_parameters() if parameter.requires_grad]


def _default_loss(model: Any, example: Any) -> Any:
    """``model(**example).loss`` (Hugging Face style) or ``model(*example)`` returning a loss."""
    output = model(**example) if isinstance(example, dict) else model(*example)
    if hasattr(output, "loss"):
        return output.loss
    if isinstance(output, dict) and "loss" in output:
        return output["loss"]
    return output


def projected_gradients(
    model: Any,
    examples: Iterable[Any],
    loss_fn: Optional[Callable[[Any, Any], Any]] = None,
    proj_dim: int = 8192,
    seed: int = 0,
    batch_size: int = 8,
    parameters: Optional[Sequence[Any]] = None,
    device: Any = None,
    max_cached_bytes: int = 1 << 30,
) -> np.ndarray:
    """Projected per-example loss gradients of ``model``, float32 [len(examples), proj_dim].

    - ``loss_fn(model, example)`` returns the example's scalar loss; by default
      ``model(**example).loss`` for a dict (a Hugging Face model given ``input_ids``,
      ``attention_mask`` and ``labels`` with a batch dimension of 1), ``model(*example)`` else.
    - ``parameters``: what to differentiate (default: the trainable parameters, in
      ``named_parameters()`` order). Unused parameters contribute zeros.
    - Gradients are taken one example at a time (``torch.autograd.grad``, leaving ``.grad``
      untouched) and projected ``batch_size`` examples at a time; the result does not depend on
      ``batch_size`` beyond rounding. Put the model in ``eval()`` mode first if dropout should not vary.
    - The blocks of P live on ``device`` (default: the first parameter's device) and are kept
      across batches while they fit in ``max_cached_bytes``; otherwise each batch regenerates
      them, one block at a time.
    """
    import torch  # optional dependency, imported only here

    seed = _check_seed(seed)
    if proj_dim < 1:
        raise ValueError("proj_dim must be at least 1")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    loss_fn = loss_fn or _default_loss
    parameters = list(parameters) if parameters is not None else trainable_parameters(model)
    if not parameters:
        raise ValueError("the model has no trainable parameters")
    device = torch.device(device) if device is not None else parameters[0].device
    total = sum(parameter.numel() for parameter in parameters)
    blocks = [(start, min(total, start + BLOCK_ROWS)) for start in range(0, total, BLOCK_ROWS)]
    cache_ok = total * proj_dim * 4 <= max_cached_bytes
    cache: dict = {}

    def block_matrix(index: int):
        if index in cache:
            return cache[index]
        start, stop = blocks[index]
        matrix = torch.from_numpy(rademacher_block(seed, index, stop - start, proj_dim)).to(device)
        if cache_ok:
            cache[index] = matrix
        return matrix

    def flat_gradient(example: Any):
        loss = loss_fn(model, example)
        if not torch.is_tensor(loss) or loss.numel() != 1:
            raise ValueError("loss_fn must return a scalar tensor")
        grads = torch.autograd.grad(loss.reshape(()), parameters, allow_unused=True)
        pieces = [
            (g if g is not None else torch.zeros_like(p)).detach().reshape(-1).to(device=device, dtype=torch.float32)
            for g, p in zip(grads, parameters)
        ]
        return torch.cat(pieces)

    rows: List[np.ndarray] = []

    def flush(batch: List[Any]) -> None:
        stacked = torch.stack(batch)  # [b, D]
        # Blocks are summed in float64 (float32 where the device has no float64, e.g. MPS).
        wide = torch.float32 if device.type == "mps" else torch.float64
        accumulated = torch.zeros((stacked.shape[0], proj_dim), dtype=wide, device=device)
        for index, (start, stop) in enumerate(blocks):
            accumulated += (stacked[:, start:stop] @ block_matrix(index)).to(wide)
        rows.append(accumulated.to(torch.float32).cpu().numpy())

    pending: List[Any] = []
    for example in examples:
        pending.append(flat_gradient(example))
        if len(pending) == batch_size:
            flush(pending)
            pending = []
    if pending:
        flush(pending)
    if not rows:
        return np.zeros((0, proj_dim), dtype=np.float32)
    return np.ascontiguousarray(np.concatenate(rows), dtype=np.float32)
