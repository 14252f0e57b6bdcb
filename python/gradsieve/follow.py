"""The trainer's side of follow mode, for any trainer: one new curriculum per epoch.

At the start of each training epoch e (1, 2, ...) a :class:`CurriculumFeed`

1. computes the epoch's signals with the current model (``signals_fn(model, e)``, e.g.
   :func:`rollout_signals`: rollouts, rewards, per-problem GRPO gradients, validation gradients),
2. writes them as ``DATA/epochs/NNNN/`` (:func:`gradsieve.write_epoch`, ``COMPLETE`` last),
3. waits for the coordinator (``gradsieve select --follow`` or ``gradsieve coordinator
   --follow``) to write ``OUT/epoch-NNNN/curriculum.jsonl``,
4. maps the curriculum's ids to dataset indices (by id, never by row: an id that is not in the
   dataset is an error naming it) and keeps them in ``feed.indices`` for the epoch's sampler.

``DATA/samples.jsonl`` is written once, from the dataset's ids in dataset order, so the
signals' row r is dataset row r. Integer ids are written as their decimal strings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from .curriculum import CurriculumError, index_by_id, positions_by_id, read_curriculum, wait_for_curriculum
from .ids import normalize_id
from .pool import write_epoch, write_samples

__all__ = ["CurriculumFeed", "EpochSignals", "rollout_signals"]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass
class EpochSignals:
    """One epoch's signals, one row per dataset row in dataset order (``ids`` checks the order)."""

    grad: Optional[np.ndarray] = None  # [n, d]
    success: Optional[np.ndarray] = None  # [n] in [0, 1]
    validation: Optional[np.ndarray] = None  # [m, d]
    rewards: Optional[np.ndarray] = None  # [n, K] in [0, 1]
    ids: Optional[Sequence[str]] = None


SignalsFunction = Callable[[Any, int], EpochSignals]


class CurriculumFeed:
    """Feeds a trainer a new curriculum every epoch through follow mode (see the module docstring).

    - ``dataset_ids``: the training dataset's ids in dataset order (strings or integers).
    - ``budget``: the curriculum's size, fixed so that trainers can size an epoch in advance; a
      curriculum of another size is an error.
    - ``signals_fn(model, epoch) -> EpochSignals``; None when another process writes the epochs.
    - ``write_signals``: False on every process but one in a distributed run (they all wait for
      and read the same curriculum).
    - ``process``: the follow coordinator's ``Popen`` (:func:`gradsieve.binary.start_follow`), so
      that a wait fails at once, with its error, if it exits.
    """

    def __init__(
        self,
        data_dir: PathLike,
        out_dir: PathLike,
        dataset_ids: Sequence[Any],
        budget: int,
        signals_fn: Optional[SignalsFunction] = None,
        timeout: Optional[float] = 3600.0,
        poll: float = 0.2,
        dtype: str = "F32",
        write_signals: bool = True,
        process: Any = None,
        fields: Optional[Sequence[Mapping[str, Any]]] = None,
    ):
        self.data_dir = os.fspath(data_dir)
        self.out_dir = os.fspath(out_dir)
        self.ids = [normalize_id(value, f"dataset row {row}", CurriculumError) for row, value in enumerate(dataset_ids)]
        if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or not 1 <= budget <= len(self.ids):
            raise CurriculumError(f"budget must be an integer in [1, {len(self.ids)}] (the dataset's rows), got {budget!r}")
        self.budget = int(budget)
        self.signals_fn = signals_fn
        self.timeout = timeout
        self.poll = poll
        self.dtype = dtype
        self.write_signals = write_signals
        self.process = process
        self.position = positions_by_id(self.ids, "the training dataset")
        if write_signals:
            write_samples(self.data_dir, self.ids, fields=fields)
        self.epoch: Optional[int] = None
        self.entries: List[Dict[str, Any]] = []
        self.indices: List[int] = []
        self.history: List[List[str]] = []  # the ids of each epoch's curriculum, in order

    def write(self, model: Any, epoch: int) -> None:
        """Steps 1-2: the epoch's signals from ``model``, written as ``DATA/epochs/NNNN``."""
        if self.signals_fn is None:
            return
        signals = self.signals_fn(model, epoch)
        if not isinstance(signals, EpochSignals):
            raise CurriculumError(f"signals_fn returned {type(signals).__name__}, not EpochSignals")
        if signals.ids is not None:
            given = [normalize_id(value, f"signals row {row}", CurriculumError) for row, value in enumerate(signals.ids)]
            if given != self.ids:
                row = next((r for r, (a, b) in enumerate(zip(given, self.ids)) if a != b), min(len(given), len(self.ids)))
                got = given[row] if row < len(given) else "nothing"
                want = self.ids[row] if row < len(self.ids) else "nothing"
                raise CurriculumError(f"epoch {epoch} signals: row {row} is {got!r}, the dataset's row {row} is {want!r}")
        write_epoch(self.data_dir, epoch, grad=signals.grad, success=signals.success, rewards=signals.rewards,
                    validation=signals.validation, dtype=self.dtype)

    def receive(self, epoch: int) -> List[int]:
        """Steps 3-4: waits for the epoch's curriculum and maps it to dataset indices."""
        wait_for_curriculum(self.out_dir, epoch, timeout=self.timeout, poll=self.poll, process=self.process)
        entries = read_curriculum(self.out_dir, epoch, data=self.data_dir)
        if len(entries) != self.budget:
            raise CurriculumError(
                f"{self.out_dir}/epoch-{epoch:04d}/curriculum.jsonl holds {len(entries)} problems, the trainer expects "
                f"budget={self.budget} (give gradsieve --budget {self.budget})"
            )
        indices = index_by_id(entries, self.position, what="the training dataset")
        self.epoch, self.entries, self.indices = epoch, entries, indices
        self.history.append([entry["id"] for entry in entries])
        return indices

    def advance(self, model: Any, epoch: int) -> List[int]:
        """Writes epoch ``epoch``'s signals (when this process writes them), then receives its curriculum."""
        if self.write_signals:
            self.write(model, epoch)
        return self.receive(epoch)


def rollout_signals(
    tokenizer: Any,
    problems: Sequence[Mapping[str, Any]],
    reward_fn: Callable[..., Sequence[float]],
    validation_problems: Optional[Sequence[Mapping[str, Any]]] = None,
    num_generations: int = 4,
    max_new_tokens: int = 32,
    proj_dim: int = 8192,
    seed: int = 0,
    projector: str = "factored",
    optimizer: Any = None,
    temperature: float = 1.0,
) -> SignalsFunction:
    """A ``signals_fn`` that does GradAlign's per-epoch scoring with the current model: it samples
    ``num_generations`` completions per problem (:func:`gradsieve.grpo.sample_rollouts`, scored by
    ``reward_fn`` as TRL calls a reward function), and returns each problem's projected GRPO
    gradient and success rate and the validation problems' gradients (the same loss and
    projection; Adam-preconditioned by ``optimizer``'s state when given and stepped, e.g.
    ``lambda: trainer.optimizer``). Sampling is seeded by (seed, epoch)."""
    from .grpo import AdamPreconditioner, grpo_gradients, sample_rollouts, validation_gradients

    problems = list(problems)

    def signals(model: Any, epoch: int) -> EpochSignals:
        rollouts = sample_rollouts(model, tokenizer, problems, reward_fn, num_generations=num_generations,
                                   max_new_tokens=max_new_tokens, temperature=temperature, seed=seed * 100003 + epoch)
        train = grpo_gradients(model, tokenizer, rollouts, proj_dim=proj_dim, seed=seed, projector=projector)
        validation = None
        if validation_problems:
            held_out = sample_rollouts(model, tokenizer, list(validation_problems), reward_fn,
                                       num_generations=num_generations, max_new_tokens=max_new_tokens,
                                       temperature=temperature, seed=seed * 100003 + epoch + 50000)
            current = optimizer() if callable(optimizer) else optimizer
            preconditioner = None
            if current is not None and getattr(current, "state", None):
                preconditioner = AdamPreconditioner.from_optimizer(model, current)
            validation = validation_gradients(model, tokenizer, held_out, proj_dim=proj_dim, seed=seed,
                                              projector=projector, preconditioner=preconditioner).grad
        return EpochSignals(grad=train.grad, success=train.success, validation=validation, ids=train.ids)

    return signals
