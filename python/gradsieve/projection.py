"""Random projections of per-problem gradients that scale to real models (needs torch).

A problem's gradient g (every trainable parameter's gradient, in ``named_parameters()`` order)
is mapped to ``proj_dim`` = K numbers by a fixed random linear map, the same in every process
and every epoch, so that inner products and cosines between projected rows approximate those of
the full gradients (Johnson-Lindenstrauss). The map is a sum over parameters: row = sum_p
S_p(g_p), each S_p a random map of that parameter's gradient into R^K, drawn independently from
``(seed, parameter name, side)``. Three kinds, chosen per parameter:

* **factored** (:class:`FactoredProjector`; weights of ``torch.nn.Linear``, ``torch.nn.Embedding``
  and transformers' ``Conv1D``, LoRA adapters included, since PEFT's ``lora_A`` / ``lora_B``
  are ``nn.Linear``). A weight W [r, c] used as ``y_t = W x_t`` gets the gradient
  G = sum_t delta_t x_t^T (delta_t the loss gradient at the output y_t). With random sign
  matrices A [k_r, r] and B [k_c, c] (entries +-1/sqrt(k_r), +-1/sqrt(k_c)), the projection
  A G B^T = sum_t (A delta_t)(B x_t)^T is computed from the layer's forward inputs and the
  backward output gradients, captured by hooks, without forming G: a cost of
  T (r k_r + c k_c + k_r k_c) per layer for T tokens instead of r c (LoGra, arXiv 2405.13954;
  FactGraSS, arXiv 2505.18976). A side of at most its share of K is left unprojected (the
  identity, exact). The k_r x k_c block is added to the row directly when k_r k_c = K and
  otherwise hashed into it by a CountSketch. An embedding is the same with x_t the one-hot token
  (A's column lookup); biases are sketched from sum_t delta_t.
* **sketch** (every other trainable parameter: norms, biases, anything without hooks): a
  streaming CountSketch, coordinate j goes to bucket h(j) with sign s(j), from that parameter's
  own (small) gradient.
* **dense** (:class:`DenseProjector`, for small models): the flat gradient times the Rademacher
  matrix of :mod:`gradsieve.torch_grads` (it materializes each problem's flat gradient).

Every sign and bucket comes from ``numpy.random.PCG64(SeedSequence([seed, name_lo, name_hi,
side]))`` raw 64-bit words, name_lo/name_hi the two halves of the 64-bit BLAKE2b hash of the
parameter's name (side 0: A, 1: B, 2: the parameter's CountSketch, 3: the block's CountSketch).
Rows computed in different processes, on other devices or in other epochs with the same seed and
the same parameter names are comparable. Projections E[S^T S] = I: inner products are kept in
expectation, and the cosine error shrinks as 1/sqrt(K).
"""

from __future__ import annotations

import hashlib
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

import numpy as np

__all__ = [
    "DenseProjector",
    "plan_parameter",
    "projection_macs",
    "FactoredProjector",
    "ParameterPlan",
    "ProjectionError",
    "make_projector",
    "sign_matrix",
    "sketch_hashes",
]


class ProjectionError(ValueError):
    """A model or gradient the projector cannot handle as given."""


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ProjectionError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _seed_sequence(seed: int, name: str, side: int) -> np.random.SeedSequence:
    digest = int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")
    return np.random.SeedSequence([seed, digest & 0xFFFFFFFF, digest >> 32, side])


def _raw_words(seed: int, name: str, side: int, count: int) -> np.ndarray:
    generator = np.random.PCG64(_seed_sequence(seed, name, side))
    return np.asarray(generator.random_raw(count), dtype=np.uint64)


def sign_matrix(seed: int, name: str, side: int, rows: int, cols: int) -> np.ndarray:
    """float32 [rows, cols] of +-1/sqrt(rows): bit i of the (seed, name, side) stream, read least
    significant bit first from each 64-bit word, sets the sign of entry i (row-major)."""
    count = rows * cols
    words: np.ndarray = _raw_words(seed, name, side, (count + 63) // 64).astype("<u8")
    bits = np.unpackbits(words.view(np.uint8), bitorder="little")[:count]
    scale = np.float32(1.0 / math.sqrt(rows))
    return np.where(bits.astype(bool), -scale, scale).astype(np.float32).reshape(rows, cols)


def sketch_hashes(seed: int, name: str, side: int, size: int, buckets: int) -> Tuple[np.ndarray, np.ndarray]:
    """The CountSketch of ``size`` coordinates into ``buckets``: bucket (word >> 1) mod buckets and
    sign -1 when the word's lowest bit is set, one 64-bit word of the stream per coordinate."""
    words = _raw_words(seed, name, side, size)
    index = ((words >> np.uint64(1)) % np.uint64(buckets)).astype(np.int64)
    sign = np.where((words & np.uint64(1)).astype(bool), -1.0, 1.0).astype(np.float32)
    return index, sign


def _split(proj_dim: int) -> Tuple[int, int]:
    """K = small * large with small the largest divisor of K at most sqrt(K)."""
    small = int(math.isqrt(proj_dim))
    while proj_dim % small:
        small -= 1
    return small, proj_dim // small


@dataclass
class ParameterPlan:
    """How one trainable parameter is projected."""

    name: str
    shape: Tuple[int, ...]
    kind: str  # "linear", "conv1d", "embedding" (factored) or "sketch"
    k_rows: int = 0  # A's rows (= the weight's rows when A is the identity)
    k_cols: int = 0
    rows_identity: bool = False
    cols_identity: bool = False

    @property
    def factored(self) -> bool:
        return self.kind != "sketch"


def plan_parameter(name: str, shape: Tuple[int, ...], kind: str, proj_dim: int, block_factor: int = 1) -> ParameterPlan:
    """How a weight [rows, cols] is factored: K' = block_factor * proj_dim split as small x large
    (small the largest divisor of K' at most sqrt(K')), the larger share on the side that is
    cheaper to project (the smaller dimension; an embedding's rows, a lookup, always), and a side
    no larger than its share left unprojected."""
    if kind == "sketch":
        return ParameterPlan(name, tuple(shape), "sketch")
    small, large = _split(proj_dim * block_factor)
    rows, cols = int(shape[0]), int(shape[1])
    if kind == "embedding" or rows < cols:
        k_rows, k_cols = large, small
    else:
        k_rows, k_cols = small, large
    rows_identity, cols_identity = rows <= k_rows, cols <= k_cols
    return ParameterPlan(
        name, (rows, cols), kind,
        k_rows=rows if rows_identity else k_rows, k_cols=cols if cols_identity else k_cols,
        rows_identity=rows_identity, cols_identity=cols_identity,
    )


def projection_macs(plan: ParameterPlan) -> int:
    """Multiply-adds per token to project one call of a factored layer: A delta (or x), B x (or
    delta) and their outer product into the block (an embedding's A side is a lookup)."""
    rows, cols = plan.shape
    macs = plan.k_rows * plan.k_cols
    if plan.kind != "embedding" and not plan.rows_identity:
        macs += rows * plan.k_rows
    if not plan.cols_identity:
        macs += cols * plan.k_cols
    return macs


def _named_trainable(model: Any) -> List[Tuple[str, Any]]:
    return [(name, parameter) for name, parameter in model.named_parameters() if parameter.requires_grad]


def _factored_kind(module: Any) -> Optional[str]:
    import torch

    if isinstance(module, torch.nn.Linear):
        return "linear"
    if isinstance(module, torch.nn.Embedding):
        return "embedding"
    if type(module).__name__ == "Conv1D" and hasattr(module, "nf") and getattr(module, "weight", None) is not None:
        return "conv1d"  # transformers' GPT-2 style layer: y = x @ W + b, W [in, out]
    return None


class FactoredProjector:
    """Kronecker-factored projection for linear layers, CountSketch for the rest.

    >>> projector = FactoredProjector(model, proj_dim=8192, seed=0)
    >>> with projector.capture() as capture:
    ...     loss = compute_loss(model, batch)
    ...     row = capture.project(loss)          # torch float32 [proj_dim], on the model's device

    :meth:`project_gradients` projects gradients given per parameter (used for the validation
    gradient with Adam preconditioning, and as the exact reference in tests); it gives the same
    row as capturing, up to rounding.

    ``block_factor``: each layer's k_r x k_c block holds ``block_factor * proj_dim`` entries
    (hashed into ``proj_dim``); 4 brings the cosine error to the dense projector's at the same
    ``proj_dim`` (docs/python.md) at about twice the side projections' cost.

    ``sign_storage="int8"`` keeps the sign matrices on the device as int8 (a quarter of float32's
    memory) and rebuilds each float matrix when it is used; the rows are the same.
    """

    kind = "factored"

    def __init__(self, model: Any, proj_dim: int = 8192, seed: int = 0, device: Any = None, block_factor: int = 1,
                 sign_storage: str = "float32"):
        import torch

        if sign_storage not in ("float32", "int8"):
            raise ProjectionError(f"sign_storage must be 'float32' or 'int8', got {sign_storage!r}")
        self.sign_storage = sign_storage

        if isinstance(proj_dim, bool) or not isinstance(proj_dim, (int, np.integer)) or proj_dim < 1:
            raise ProjectionError(f"proj_dim must be a positive integer, got {proj_dim!r}")
        if isinstance(block_factor, bool) or not isinstance(block_factor, (int, np.integer)) or block_factor < 1:
            raise ProjectionError(f"block_factor must be a positive integer, got {block_factor!r}")
        self.proj_dim = int(proj_dim)
        self.block_factor = int(block_factor)
        self.seed = _check_seed(seed)
        self.model = model
        named = _named_trainable(model)
        if not named:
            raise ProjectionError("the model has no trainable parameters (requires_grad is False everywhere)")
        self.device = torch.device(device) if device is not None else named[0][1].device
        self.parameters = named
        name_of = {id(parameter): name for name, parameter in named}
        self.plans: Dict[str, ParameterPlan] = {}
        self._modules: List[Tuple[Any, str, str, Optional[str]]] = []  # module, kind, weight name, bias name
        for _, module in model.named_modules():
            kind = _factored_kind(module)
            weight = getattr(module, "weight", None)
            if kind is None or weight is None or id(weight) not in name_of:
                continue
            if kind == "embedding" and (getattr(module, "scale_grad_by_freq", False) or getattr(module, "sparse", False)):
                continue  # its gradient is not sum_t e_t delta_t^T: sketched from its own gradient
            name = name_of[id(weight)]
            bias = getattr(module, "bias", None)
            bias_name = name_of.get(id(bias)) if bias is not None else None
            self._modules.append((module, kind, name, bias_name))
            if name in self.plans:
                continue  # a tied weight used by several modules: one plan, contributions summed
            self.plans[name] = plan_parameter(name, tuple(weight.shape), kind, self.proj_dim, self.block_factor)
        for name, parameter in named:
            if name not in self.plans:
                self.plans[name] = ParameterPlan(name, tuple(parameter.shape), "sketch")
        # Biases of captured layers are sketched from sum_t delta_t; the rest from their own gradient.
        captured_biases = {bias for _, _, _, bias in self._modules if bias is not None}
        self._sketched = [
            (name, parameter) for name, parameter in named
            if not self.plans[name].factored and name not in captured_biases
        ]
        self._cache: Dict[Tuple[str, int], Any] = {}

    # -- random matrices, generated once per parameter and kept on the device ------------------

    def _sign(self, name: str, side: int, rows: int, cols: int):
        import torch

        key = (name, side)
        if key not in self._cache:
            matrix = sign_matrix(self.seed, name, side, rows, cols)
            if self.sign_storage == "int8":  # a quarter of the memory; the float matrix is rebuilt per use
                self._cache[key] = torch.from_numpy(np.sign(matrix).astype(np.int8)).to(self.device)
            else:
                self._cache[key] = torch.from_numpy(matrix).to(self.device)
        stored = self._cache[key]
        if stored.dtype == torch.int8:
            return stored.to(torch.float32) * float(np.float32(1.0 / math.sqrt(rows)))
        return stored

    def _hashes(self, name: str, side: int, size: int):
        import torch

        key = (name, side)
        if key not in self._cache:
            index, sign = sketch_hashes(self.seed, name, side, size, self.proj_dim)
            self._cache[key] = (torch.from_numpy(index).to(self.device), torch.from_numpy(sign).to(self.device))
        return self._cache[key]

    def row_matrix(self, plan: ParameterPlan):
        """A [k_rows, rows] (None for the identity)."""
        return None if plan.rows_identity else self._sign(plan.name, 0, plan.k_rows, plan.shape[0])

    def col_matrix(self, plan: ParameterPlan):
        """B [k_cols, cols] (None for the identity)."""
        return None if plan.cols_identity else self._sign(plan.name, 1, plan.k_cols, plan.shape[1])

    def _sketch_into(self, pending: List[Tuple[Any, Any]], name: str, side: int, values) -> None:
        """Queues ``values``' CountSketch; :meth:`_flush` adds every queued one in one ``index_add_``."""
        index, sign = self._hashes(name, side, values.numel())
        pending.append((index, values.reshape(-1).float() * sign))

    def _add_block(self, out, pending: List[Tuple[Any, Any]], plan: ParameterPlan, block) -> None:
        """Adds a k_rows x k_cols block to the row: directly when it has K entries, else hashed."""
        if plan.k_rows * plan.k_cols == self.proj_dim:
            out += block.reshape(-1)
        else:
            self._sketch_into(pending, plan.name, 3, block)

    @staticmethod
    def _flush(out, pending: List[Tuple[Any, Any]]) -> None:
        import torch

        if pending:
            out.index_add_(0, torch.cat([index for index, _ in pending]), torch.cat([values for _, values in pending]))
            pending.clear()

    # -- projecting given gradients ------------------------------------------------------------

    def project_gradients(self, gradients: Mapping[str, Any]):
        """The row of a gradient given per parameter name (missing names count as zero)."""
        import torch

        unknown = [name for name in gradients if name not in self.plans]
        if unknown:
            raise ProjectionError(f"gradient for {unknown[0]!r}, which is not a trainable parameter of the model")
        out = torch.zeros(self.proj_dim, dtype=torch.float32, device=self.device)
        pending: List[Tuple[Any, Any]] = []
        for name, grad in gradients.items():
            if grad is None:
                continue
            plan = self.plans[name]
            grad = grad.detach().to(device=self.device, dtype=torch.float32)
            if tuple(grad.shape) != plan.shape:
                raise ProjectionError(f"gradient for {name!r} has shape {tuple(grad.shape)}, the parameter {plan.shape}")
            if not plan.factored:
                self._sketch_into(pending, name, 2, grad)
                continue
            block = grad
            a, b = self.row_matrix(plan), self.col_matrix(plan)
            if a is not None:
                block = a @ block
            if b is not None:
                block = block @ b.T
            self._add_block(out, pending, plan, block)
        self._flush(out, pending)
        return out

    # -- capturing a forward and backward pass -------------------------------------------------

    @contextmanager
    def capture(self) -> Iterator["_Capture"]:
        """Hooks on the factored layers for one forward pass; ``capture.project(loss)`` then runs
        the backward pass and returns the row."""
        capture = _Capture(self)
        handles = [module.register_forward_hook(capture.hook(index)) for index, (module, _, _, _) in enumerate(self._modules)]
        try:
            yield capture
        finally:
            for handle in handles:
                handle.remove()

    def cost_per_token(self) -> Dict[str, int]:
        """Multiply-adds per token: the projection's (:func:`projection_macs` summed over the
        layers' calls) and the layers' forward pass."""
        projection = forward = 0
        for _, kind, name, _ in self._modules:
            plan = self.plans[name]
            forward += plan.shape[1] if kind == "embedding" else plan.shape[0] * plan.shape[1]
            projection += projection_macs(plan)
        return {"projection": projection, "layer_forward": forward}


class _Capture:
    """What one forward pass recorded: each factored module call's input and output."""

    def __init__(self, projector: FactoredProjector):
        self.projector = projector
        self.calls: List[Tuple[int, Any, Any]] = []  # module index, input (detached), output
        self.seconds: Dict[str, float] = {}

    def hook(self, index: int):
        import torch

        def record(module, inputs, output):
            if not torch.is_tensor(output):
                raise ProjectionError(f"{type(module).__name__} returned {type(output).__name__}, not a tensor")
            if torch.is_grad_enabled() and output.requires_grad:
                self.calls.append((index, inputs[0].detach(), output))
            elif torch.is_grad_enabled():
                name = self.projector._modules[index][2]
                raise ProjectionError(
                    f"the output of the layer of {name!r} does not require grad although the parameter does "
                    "(gradient checkpointing or a detached input?); turn gradient checkpointing off while computing signals"
                )

        return record

    def project(self, loss, retain_graph: bool = False):
        """Backward from ``loss`` (a scalar) and the projected gradient, torch float32 [K]."""
        import torch

        projector = self.projector
        if not torch.is_tensor(loss) or loss.numel() != 1:
            raise ProjectionError("the loss must be a scalar tensor")
        if not loss.requires_grad:
            raise ProjectionError("the loss does not depend on any trainable parameter (does it come from torch.no_grad()?)")
        outputs = [output for _, _, output in self.calls]
        sketched = [parameter for _, parameter in projector._sketched]
        started = time.perf_counter()
        grads = torch.autograd.grad(loss.reshape(()), outputs + sketched, allow_unused=True, retain_graph=retain_graph)
        backward_done = time.perf_counter()
        out = torch.zeros(projector.proj_dim, dtype=torch.float32, device=projector.device)
        pending: List[Tuple[Any, Any]] = []
        for (index, inputs, _), delta in zip(self.calls, grads[: len(outputs)]):
            if delta is None:
                continue
            _, kind, name, bias_name = projector._modules[index]
            plan = projector.plans[name]
            delta = delta.to(device=projector.device, dtype=torch.float32)
            delta = delta.reshape(-1, delta.shape[-1])
            if kind == "embedding":
                module = projector._modules[index][0]
                ids = inputs.reshape(-1).to(projector.device)
                if module.padding_idx is not None:
                    keep = ids != module.padding_idx
                    ids, delta = ids[keep], delta[keep]
                a = projector.row_matrix(plan)
                left = torch.nn.functional.one_hot(ids, plan.shape[0]).to(torch.float32) if a is None else a.T[ids]
                right = delta
            else:
                x = inputs.to(device=projector.device, dtype=torch.float32)
                x = x.reshape(-1, x.shape[-1])
                left, right = (delta, x) if kind == "linear" else (x, delta)  # Conv1D: W [in, out]
                a = projector.row_matrix(plan)
                if a is not None:
                    left = left @ a.T
            b = projector.col_matrix(plan)
            if b is not None:
                right = right @ b.T
            projector._add_block(out, pending, plan, left.T @ right)
            if bias_name is not None:
                projector._sketch_into(pending, bias_name, 2, delta.sum(dim=0))
        for (name, _), grad in zip(projector._sketched, grads[len(outputs):]):
            if grad is not None:
                projector._sketch_into(pending, name, 2, grad)
        projector._flush(out, pending)
        self.calls = []
        if out.device.type == "cuda":
            torch.cuda.synchronize(out.device)
        # Wall time of the last call's backward pass and projection (read by the benchmark).
        self.seconds = {"backward": backward_done - started, "projection": time.perf_counter() - backward_done}
        return out


class DenseProjector:
    """The flat gradient (every trainable parameter in ``named_parameters()`` order) times the
    Rademacher matrix of :func:`gradsieve.torch_grads.rademacher_block`. Exact JL, but it forms
    each problem's flat gradient and costs D x K: for small models."""

    kind = "dense"

    def __init__(self, model: Any, proj_dim: int = 8192, seed: int = 0, device: Any = None):
        import torch

        if isinstance(proj_dim, bool) or not isinstance(proj_dim, (int, np.integer)) or proj_dim < 1:
            raise ProjectionError(f"proj_dim must be a positive integer, got {proj_dim!r}")
        self.proj_dim = int(proj_dim)
        self.seed = _check_seed(seed)
        self.parameters = _named_trainable(model)
        if not self.parameters:
            raise ProjectionError("the model has no trainable parameters (requires_grad is False everywhere)")
        self.device = torch.device(device) if device is not None else self.parameters[0][1].device
        self._blocks: Dict[int, Any] = {}

    def project_gradients(self, gradients: Mapping[str, Any]):
        import torch

        from .torch_grads import BLOCK_ROWS, rademacher_block

        known = {name for name, _ in self.parameters}
        unknown = [name for name in gradients if name not in known]
        if unknown:
            raise ProjectionError(f"gradient for {unknown[0]!r}, which is not a trainable parameter of the model")
        pieces = []
        for name, parameter in self.parameters:
            grad = gradients.get(name)
            pieces.append(
                torch.zeros(parameter.numel(), dtype=torch.float32, device=self.device)
                if grad is None else grad.detach().reshape(-1).to(device=self.device, dtype=torch.float32)
            )
        flat = torch.cat(pieces)
        out = torch.zeros(self.proj_dim, dtype=torch.float64, device=self.device)
        for block, start in enumerate(range(0, flat.numel(), BLOCK_ROWS)):
            stop = min(flat.numel(), start + BLOCK_ROWS)
            if block not in self._blocks:
                self._blocks[block] = torch.from_numpy(rademacher_block(self.seed, block, stop - start, self.proj_dim)).to(self.device)
            out += (flat[start:stop] @ self._blocks[block]).to(torch.float64)
        return out.to(torch.float32)

    @contextmanager
    def capture(self) -> Iterator["_DenseCapture"]:
        yield _DenseCapture(self)


class _DenseCapture:
    def __init__(self, projector: DenseProjector):
        self.projector = projector

    def project(self, loss, retain_graph: bool = False):
        import torch

        if not torch.is_tensor(loss) or loss.numel() != 1:
            raise ProjectionError("the loss must be a scalar tensor")
        if not loss.requires_grad:
            raise ProjectionError("the loss does not depend on any trainable parameter (does it come from torch.no_grad()?)")
        names = [name for name, _ in self.projector.parameters]
        grads = torch.autograd.grad(loss.reshape(()), [p for _, p in self.projector.parameters], allow_unused=True,
                                    retain_graph=retain_graph)
        return self.projector.project_gradients({name: grad for name, grad in zip(names, grads) if grad is not None})


def make_projector(model: Any, proj_dim: int = 8192, seed: int = 0, kind: str = "factored", device: Any = None,
                   **options: Any) -> Any:
    """``kind``: "factored" (default; scales; ``options`` such as ``block_factor`` or
    ``sign_storage`` go to :class:`FactoredProjector`) or "dense" (small models)."""
    if kind == "factored":
        return FactoredProjector(model, proj_dim=proj_dim, seed=seed, device=device, **options)
    if options:
        raise ProjectionError(f"options {sorted(options)} apply to the factored projector only")
    if kind == "dense":
        return DenseProjector(model, proj_dim=proj_dim, seed=seed, device=device)
    raise ProjectionError(f"projector kind must be 'factored' or 'dense', got {kind!r}")
