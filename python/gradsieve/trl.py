"""TRL's ``GRPOTrainer`` fed a new gradsieve curriculum every epoch (needs trl).

:class:`GradsieveGRPOTrainer` is ``trl.GRPOTrainer`` with two changes:

- its train sampler draws the current curriculum's rows (found by ``id`` in the full training
  dataset) with TRL's own ``RepeatSampler`` layout: each prompt ``num_generations`` times in a
  row, generation batches repeated ``num_iterations * steps_per_generation`` times, shuffled by
  (``args.seed``, epoch);
- a callback, at the start of every epoch and before the epoch's first batch is drawn, runs
  :meth:`gradsieve.follow.CurriculumFeed.advance`: the epoch's signals from the current model
  written as ``DATA/epochs/NNNN/``, then ``OUT/epoch-NNNN/curriculum.jsonl`` awaited and mapped.

An epoch is ``feed.budget`` problems (rounded down to whole generation batches), so
``num_train_epochs`` counts curricula. In a distributed run give every process the same feed
arguments and ``write_signals=True`` on the main process only.

    feed = CurriculumFeed("data", "out", dataset["id"], budget=256,
                          signals_fn=rollout_signals(tokenizer, dataset, reward_fn, validation))
    coordinator = start_follow("data", "out", epochs=3, method="gradalign", budget=256, workers=4)
    trainer = GradsieveGRPOTrainer(model=model, reward_funcs=reward_fn, args=GRPOConfig(num_train_epochs=3, ...),
                                   train_dataset=dataset, processing_class=tokenizer, feed=feed)
    trainer.train()
"""

from __future__ import annotations

from typing import Any, Iterator, List

import numpy as np
from transformers import TrainerCallback
from trl import GRPOTrainer

from .curriculum import CurriculumError
from .follow import CurriculumFeed

__all__ = ["CurriculumCallback", "CurriculumRepeatSampler", "GradsieveGRPOTrainer"]


class CurriculumRepeatSampler:
    """TRL's ``RepeatSampler`` over the feed's current curriculum indices (re-read at every ``iter``)."""

    def __init__(self, feed: CurriculumFeed, mini_repeat_count: int, batch_size: int = 1, repeat_count: int = 1,
                 shuffle: bool = True, seed: int = 0):
        if feed.budget < batch_size:
            raise CurriculumError(f"budget {feed.budget} is smaller than a generation batch of {batch_size} prompts")
        self.feed = feed
        self.mini_repeat_count = mini_repeat_count
        self.batch_size = batch_size
        self.repeat_count = repeat_count
        self.shuffle = shuffle
        self.seed = int(seed)

    def _order(self) -> List[int]:
        if self.feed.epoch is None:
            raise CurriculumError("no curriculum yet: the epoch's curriculum is received at the start of each epoch "
                                  "(was the CurriculumCallback removed?)")
        indices = list(self.feed.indices)
        if self.shuffle:
            generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, self.feed.epoch])))
            indices = [indices[i] for i in generator.permutation(len(indices))]
        return indices

    def __iter__(self) -> Iterator[int]:
        indices = self._order()
        whole = (len(indices) // self.batch_size) * self.batch_size
        for start in range(0, whole, self.batch_size):
            chunk = indices[start: start + self.batch_size]
            for _ in range(self.repeat_count):
                for index in chunk:
                    for _ in range(self.mini_repeat_count):
                        yield index

    def __len__(self) -> int:
        return (self.feed.budget // self.batch_size) * self.batch_size * self.mini_repeat_count * self.repeat_count


class CurriculumCallback(TrainerCallback):
    """At each epoch's start: ``feed.advance(model, first_epoch + epochs begun so far)``."""

    def __init__(self, feed: CurriculumFeed, first_epoch: int = 1):
        self.feed = feed
        self.next_epoch = first_epoch

    def on_epoch_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> Any:
        self.feed.advance(model, self.next_epoch)
        self.next_epoch += 1
        return control


class GradsieveGRPOTrainer(GRPOTrainer):
    """``trl.GRPOTrainer`` that trains each epoch on that epoch's gradsieve curriculum (see the
    module docstring). ``train_dataset`` is the full problem set, with the ids given to ``feed``
    in the same order (e.g. ``CurriculumFeed(..., dataset_ids=train_dataset["id"])``)."""

    def __init__(self, *args: Any, feed: CurriculumFeed, first_epoch: int = 1, **kwargs: Any):
        self.feed = feed
        super().__init__(*args, **kwargs)
        if len(self.train_dataset) != len(feed.ids):
            raise CurriculumError(f"the train dataset has {len(self.train_dataset)} rows, the feed {len(feed.ids)} ids")
        if "id" in getattr(self.train_dataset, "column_names", []):
            column = [str(value) for value in self.train_dataset["id"]]
            if column != feed.ids:
                row = next(r for r, (a, b) in enumerate(zip(column, feed.ids)) if a != b)
                raise CurriculumError(
                    f"train dataset row {row} has id {column[row]!r}, the feed's row {row} is {feed.ids[row]!r}"
                )
        self.curriculum_callback = CurriculumCallback(feed, first_epoch)
        self.add_callback(self.curriculum_callback)

    def _get_train_sampler(self, dataset: Any = None) -> Any:
        return CurriculumRepeatSampler(
            self.feed,
            mini_repeat_count=self.num_generations,
            batch_size=self.args.generation_batch_size // self.num_generations,
            repeat_count=self.num_iterations * self.args.steps_per_generation,
            shuffle=self.shuffle_dataset,
            seed=self.args.seed,
        )
