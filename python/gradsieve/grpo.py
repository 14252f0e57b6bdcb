"""Per-problem GRPO gradients and success rates from a Hugging Face causal LM (needs torch).

A problem is a prompt, the G completions sampled for it (GRPO's group) and their rewards::

    {"id": "gsm8k-17", "prompt": "2+3=", "completions": ["5", "6", "5", "4"], "rewards": [1, 0, 1, 0]}

Its GRPO policy gradient is the gradient of

    L = -(1 / N) * sum_i sum_{t in completion i} A_i * log pi(y_{i,t} | prompt, y_{i,<t}),
    A_i = r_i - mean(r),   N = the number of completion tokens of the group,

the loss of GradAlign's released gradient analyzer (group-relative advantages without dividing
by the standard deviation; a token-level mean over the whole group, as TRL's default "dapo" loss;
the importance ratio is 1 at the current policy, so its gradient is that of A * log pi). Prompt
tokens and padding are masked out. ``normalization="sequence"`` averages each completion's
tokens first and then the G completions (the original GRPO loss). A problem whose rewards are
all equal has A = 0 and a zero gradient, which gradsieve scores 0.

:func:`grpo_gradients` returns, for each problem, that gradient projected to ``proj_dim``
(:mod:`gradsieve.projection`, the same map for every problem, process and epoch with the same
seed) and the success rate; :func:`validation_gradients` does the same for the trusted
validation problems, optionally preconditioned by Adam's second moments
(g / (sqrt(v_hat) + eps), as LESS and GradAlign's ``use_optimizer``) via
:class:`AdamPreconditioner`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence

import numpy as np

from .ids import normalize_id

__all__ = [
    "AdamPreconditioner",
    "GRPOError",
    "ProblemGradients",
    "group_rollouts",
    "grpo_gradients",
    "group_success",
    "sample_rollouts",
    "success_rate",
    "validation_gradients",
]


class GRPOError(ValueError):
    """Problems, rollouts or a model that cannot give a GRPO gradient."""


@dataclass
class ProblemGradients:
    """What :func:`grpo_gradients` returns, one entry per problem in input order."""

    ids: List[str]
    grad: np.ndarray  # float32 [n, proj_dim]
    success: np.ndarray  # float32 [n]
    tokens: np.ndarray  # int64 [n]: completion tokens of each group


def success_rate(rewards: Iterable[float], threshold: Optional[float] = None, what: str = "rewards") -> float:
    """The fraction of a group's completions that succeeded.

    Without ``threshold`` the rewards must lie in [0, 1] and the rate is their mean (a 0/1
    verifier gives the fraction solved); with it, the fraction of rewards >= threshold.
    """
    values = np.asarray(list(rewards), dtype=np.float64)
    if values.size == 0:
        raise GRPOError(f"{what}: no rewards")
    if not np.isfinite(values).all():
        raise GRPOError(f"{what}: reward {values[~np.isfinite(values)][0]} is not finite")
    if threshold is not None:
        return float((values >= threshold).mean())
    if values.min() < 0 or values.max() > 1:
        raise GRPOError(
            f"{what}: rewards outside [0, 1] (min {values.min():g}, max {values.max():g}); "
            "pass threshold= to count a completion as solved when its reward reaches it"
        )
    return float(values.mean())


def group_success(rewards_per_group: Sequence[Sequence[float]], threshold: Optional[float] = None,
                  ids: Optional[Sequence[Any]] = None) -> np.ndarray:
    """float32 [n]: :func:`success_rate` of each group (``ids`` only name groups in errors)."""
    rates = []
    for index, rewards in enumerate(rewards_per_group):
        name = f"problem {normalize_id(ids[index], f'group {index}', GRPOError)!r}" if ids is not None else f"group {index}"
        rates.append(success_rate(rewards, threshold, what=name))
    return np.asarray(rates, dtype=np.float32)


def group_rollouts(ids: Sequence[Any], prompts: Sequence[Any], completions: Sequence[Any],
                   rewards: Sequence[float]) -> List[Dict[str, Any]]:
    """Problems from flat rollouts, one row per completion (as a TRL reward function sees them):
    rows with the same id form a group, in first-seen order. Every row needs its prompt, and the
    rows of one id must share it."""
    lengths = {len(ids), len(prompts), len(completions), len(rewards)}
    if len(lengths) != 1:
        raise GRPOError(
            f"ids, prompts, completions and rewards must have one entry per completion; got "
            f"{len(ids)}, {len(prompts)}, {len(completions)}, {len(rewards)}"
        )
    problems: Dict[str, Dict[str, Any]] = {}
    for index, (raw_id, prompt, completion, reward) in enumerate(zip(ids, prompts, completions, rewards)):
        identifier = normalize_id(raw_id, f"rollout {index}", GRPOError)
        if prompt is None or (isinstance(prompt, (str, list)) and len(prompt) == 0):
            raise GRPOError(f"rollout {index} (problem {identifier!r}): completion without its prompt")
        problem = problems.get(identifier)
        if problem is None:
            problem = problems[identifier] = {"id": identifier, "prompt": prompt, "completions": [], "rewards": []}
        elif problem["prompt"] != prompt:
            raise GRPOError(f"rollout {index} (problem {identifier!r}): its prompt differs from the group's first prompt")
        problem["completions"].append(completion)
        problem["rewards"].append(reward)
    return list(problems.values())


# -- tokenization -----------------------------------------------------------------------------


def _prompt_ids(tokenizer: Any, prompt: Any, what: str) -> List[int]:
    if prompt is None or (isinstance(prompt, (str, list, tuple)) and len(prompt) == 0):
        raise GRPOError(f"{what}: completion without its prompt (the prompt is missing or empty)")
    if isinstance(prompt, str):
        return list(tokenizer(prompt)["input_ids"])
    if isinstance(prompt, (list, tuple)) and all(isinstance(token, (int, np.integer)) for token in prompt):
        return [int(token) for token in prompt]
    if isinstance(prompt, (list, tuple)) and all(isinstance(message, Mapping) for message in prompt):
        encoded = tokenizer.apply_chat_template(list(prompt), add_generation_prompt=True, tokenize=True, return_dict=True)
        ids = encoded["input_ids"]
        return [int(token) for token in (ids[0] if ids and isinstance(ids[0], (list, tuple)) else ids)]
    raise GRPOError(f"{what}: the prompt must be a string, a list of token ids or a list of chat messages")


def _completion_ids(tokenizer: Any, completion: Any, what: str) -> List[int]:
    if isinstance(completion, str):
        return list(tokenizer(completion, add_special_tokens=False)["input_ids"])
    if isinstance(completion, (list, tuple)) and all(isinstance(token, (int, np.integer)) for token in completion):
        return [int(token) for token in completion]
    if isinstance(completion, (list, tuple)) and completion and all(isinstance(m, Mapping) for m in completion):
        return list(tokenizer("".join(str(m.get("content", "")) for m in completion), add_special_tokens=False)["input_ids"])
    raise GRPOError(f"{what}: a completion must be a string, a list of token ids or a list of chat messages")


@dataclass
class _Group:
    id: str
    sequences: List[List[int]]  # prompt + completion token ids
    starts: List[int]  # index of the first completion token in each sequence
    rewards: np.ndarray


def _prepare(problems: Iterable[Mapping[str, Any]], tokenizer: Any, max_length: Optional[int],
             equal_groups: bool) -> List[_Group]:
    groups: List[_Group] = []
    seen: Dict[str, int] = {}
    size: Optional[int] = None
    first_id = ""
    for index, problem in enumerate(problems):
        if not isinstance(problem, Mapping):
            raise GRPOError(f"problem {index}: a mapping with id, prompt, completions and rewards, not {type(problem).__name__}")
        if "id" not in problem:
            raise GRPOError(f"problem {index}: no 'id'")
        identifier = normalize_id(problem["id"], f"problem {index}", GRPOError)
        what = f"problem {identifier!r}"
        if identifier in seen:
            raise GRPOError(f"{what}: duplicate id (also problem {seen[identifier]})")
        seen[identifier] = index
        completions = problem.get("completions")
        rewards = problem.get("rewards")
        if not isinstance(completions, (list, tuple)) or not completions:
            raise GRPOError(f"{what}: 'completions' must be a non-empty list")
        if not isinstance(rewards, (list, tuple, np.ndarray)) or len(rewards) != len(completions):
            got = len(rewards) if isinstance(rewards, (list, tuple, np.ndarray)) else type(rewards).__name__
            raise GRPOError(f"{what}: {len(completions)} completions but rewards {got}")
        reward_values = np.asarray(rewards, dtype=np.float64)
        if not np.isfinite(reward_values).all():
            raise GRPOError(f"{what}: a reward is not finite")
        if equal_groups:
            if size is None:
                size, first_id = len(completions), identifier
            elif len(completions) != size:
                raise GRPOError(
                    f"{what}: groups of unequal size: {len(completions)} completions, problem {first_id!r} has {size}"
                )
        prompt = _prompt_ids(tokenizer, problem.get("prompt"), what)
        sequences, starts = [], []
        for number, completion in enumerate(completions):
            completion_ids = _completion_ids(tokenizer, completion, f"{what} completion {number}")
            sequence = prompt + completion_ids
            if max_length is not None and len(sequence) > max_length:
                sequence = sequence[:max_length]
            sequences.append(sequence)
            starts.append(len(prompt))
        groups.append(_Group(identifier, sequences, starts, reward_values))
    return groups


# -- the loss ---------------------------------------------------------------------------------


def _pad_token(tokenizer: Any) -> int:
    for name in ("pad_token_id", "eos_token_id"):
        value = getattr(tokenizer, name, None)
        if isinstance(value, int):
            return value
    return 0


def _group_loss(model: Any, group: _Group, advantages: np.ndarray, pad: int, device: Any, normalization: str,
                rows: Optional[slice] = None, total_tokens: Optional[int] = None, total_sequences: Optional[int] = None):
    """The group's GRPO loss (or a slice of its sequences, scaled as a part of the whole)."""
    import torch

    indices = range(len(group.sequences))[rows] if rows is not None else range(len(group.sequences))
    sequences = [group.sequences[i] for i in indices]
    width = max(len(s) for s in sequences)
    input_ids = torch.full((len(sequences), width), pad, dtype=torch.long)
    attention = torch.zeros((len(sequences), width), dtype=torch.long)
    targets = torch.zeros((len(sequences), width), dtype=torch.bool)  # predicted completion tokens
    for row, (i, sequence) in enumerate(zip(indices, sequences)):
        input_ids[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
        attention[row, : len(sequence)] = 1
        targets[row, group.starts[i]: len(sequence)] = True
    input_ids, attention, targets = input_ids.to(device), attention.to(device), targets.to(device)
    logits = model(input_ids=input_ids, attention_mask=attention, use_cache=False).logits
    # Position t predicts token t + 1; only the completion tokens' predictions are kept.
    mask = targets[:, 1:]
    chosen = logits[:, :-1][mask].float()  # [tokens, vocab]
    labels = input_ids[:, 1:][mask]
    log_probs = chosen.log_softmax(-1).gather(-1, labels[:, None]).squeeze(-1)
    advantage = torch.tensor([advantages[i] for i in indices], dtype=torch.float32, device=device)
    per_token_advantage = advantage[:, None].expand_as(mask)[mask]
    if normalization == "token":
        return -(per_token_advantage * log_probs).sum() / float(total_tokens or max(int(mask.sum()), 1))
    counts = mask.sum(dim=1).clamp(min=1).float()
    row_of_token = torch.arange(len(sequences), device=device)[:, None].expand_as(mask)[mask]
    per_sequence = torch.zeros(len(sequences), device=device).index_add(0, row_of_token, per_token_advantage * log_probs)
    return -(per_sequence / counts).sum() / float(total_sequences or len(sequences))


class AdamPreconditioner:
    """Adam's per-coordinate scale 1 / (sqrt(v_hat) + eps), v_hat = exp_avg_sq / (1 - beta2^step).

    ``AdamPreconditioner.from_optimizer(model, optimizer)`` reads it from a ``torch.optim.Adam`` /
    ``AdamW`` (or any optimizer with the same state keys) that has taken at least one step;
    ``AdamPreconditioner(denominators)`` takes ``{parameter name: sqrt(v_hat) + eps}`` directly.
    """

    def __init__(self, denominators: Mapping[str, Any]):
        self.denominators = dict(denominators)

    @classmethod
    def from_optimizer(cls, model: Any, optimizer: Any) -> "AdamPreconditioner":
        import torch

        group_of: Dict[int, Mapping[str, Any]] = {}
        for group in optimizer.param_groups:
            for parameter in group["params"]:
                group_of[id(parameter)] = group
        denominators = {}
        for name, parameter in model.named_parameters():
            if not parameter.requires_grad:
                continue
            state = optimizer.state.get(parameter, {})
            if "exp_avg_sq" not in state:
                where = "is not in the optimizer" if id(parameter) not in group_of else "has no exp_avg_sq yet (step the optimizer first)"
                raise GRPOError(f"Adam preconditioning: parameter {name!r} {where}")
            group = group_of[id(parameter)]
            beta2 = float(group.get("betas", (0.9, 0.999))[1])
            eps = float(group.get("eps", 1e-8))
            step = float(state["step"]) if "step" in state else 1.0
            v_hat = state["exp_avg_sq"].detach().float() / (1.0 - beta2 ** step)
            denominators[name] = torch.sqrt(v_hat) + eps
        return cls(denominators)

    def apply(self, name: str, grad: Any) -> Any:
        if name not in self.denominators:
            raise GRPOError(f"Adam preconditioning: no second moment for parameter {name!r}")
        return grad.float() / self.denominators[name].to(grad.device)


def grpo_gradients(
    model: Any,
    tokenizer: Any,
    problems: Iterable[Mapping[str, Any]],
    proj_dim: int = 8192,
    seed: int = 0,
    projector: Any = "factored",
    normalization: str = "token",
    success_threshold: Optional[float] = None,
    max_length: Optional[int] = None,
    micro_batch: Optional[int] = None,
    preconditioner: Optional[AdamPreconditioner] = None,
    equal_groups: bool = True,
    device: Any = None,
) -> ProblemGradients:
    """Each problem's projected GRPO gradient and success rate (see the module's docstring).

    - ``problems``: mappings with ``id`` (str, or int written as its decimal string), ``prompt``
      (a string, token ids, or chat messages rendered with the tokenizer's chat template),
      ``completions`` (strings or token ids) and ``rewards`` (one per completion).
    - ``projector``: "factored" (default, :class:`gradsieve.projection.FactoredProjector`),
      "dense", or a projector built once and reused (cheaper across calls).
    - ``micro_batch``: completions per forward pass (default: the whole group at once).
    - ``preconditioner``: an :class:`AdamPreconditioner`; each problem's gradient is then formed
      per parameter, divided, and projected (the cost of a full gradient per problem).
    - ``equal_groups``: every problem must have the same number of completions (GRPO's group size).

    The model is put in eval mode (no dropout) for the call and restored after. Raises
    :class:`GRPOError` on bad input, naming the problem, and when a problem with unequal rewards
    gets an exactly zero gradient (a model whose trainable parameters do not reach the loss).
    """
    import torch

    from .projection import make_projector

    if normalization not in ("token", "sequence"):
        raise GRPOError(f"normalization must be 'token' or 'sequence', got {normalization!r}")
    if micro_batch is not None and micro_batch < 1:
        raise GRPOError("micro_batch must be at least 1")
    groups = _prepare(problems, tokenizer, max_length, equal_groups)
    if isinstance(projector, str):
        projector = make_projector(model, proj_dim=proj_dim, seed=seed, kind=projector, device=device)
    device = projector.device
    trainable = list(projector.parameters)
    pad = _pad_token(tokenizer)
    was_training = model.training
    model.eval()
    rows, success, tokens = [], [], []
    try:
        for group in groups:
            what = f"problem {group.id!r}"
            success.append(success_rate(group.rewards, success_threshold, what=what))
            advantages = group.rewards - group.rewards.mean()
            completion_tokens = sum(max(0, len(s) - start) for s, start in zip(group.sequences, group.starts))
            tokens.append(completion_tokens)
            if completion_tokens == 0:
                raise GRPOError(f"{what}: every completion is empty (or cut off by max_length)")
            if not np.any(advantages):
                rows.append(np.zeros(projector.proj_dim, dtype=np.float32))
                continue
            step = micro_batch or len(group.sequences)
            total = torch.zeros(projector.proj_dim, dtype=torch.float32, device=device)
            for start in range(0, len(group.sequences), step):
                part = slice(start, start + step)
                if preconditioner is None:
                    with projector.capture() as capture:
                        loss = _group_loss(model, group, advantages, pad, device, normalization, part,
                                           completion_tokens, len(group.sequences))
                        total += capture.project(loss)
                else:
                    loss = _group_loss(model, group, advantages, pad, device, normalization, part,
                                       completion_tokens, len(group.sequences))
                    grads = torch.autograd.grad(loss, [p for _, p in trainable], allow_unused=True)
                    total += projector.project_gradients({
                        name: preconditioner.apply(name, grad)
                        for (name, _), grad in zip(trainable, grads) if grad is not None
                    })
            row = total.cpu().numpy()
            if not np.isfinite(row).all():
                raise GRPOError(f"{what}: the projected gradient is not finite (a NaN or infinite loss?)")
            if not np.any(row):
                raise GRPOError(
                    f"{what}: the rewards differ but the gradient is exactly zero: no trainable parameter of the "
                    "model reaches the loss (frozen or detached parameters, or a model whose gradients are all zero)"
                )
            rows.append(row)
    finally:
        model.train(was_training)
    grad = np.stack(rows).astype(np.float32) if rows else np.zeros((0, projector.proj_dim), dtype=np.float32)
    return ProblemGradients(
        ids=[group.id for group in groups],
        grad=grad,
        success=np.asarray(success, dtype=np.float32),
        tokens=np.asarray(tokens, dtype=np.int64),
    )


def validation_gradients(model: Any, tokenizer: Any, problems: Iterable[Mapping[str, Any]],
                         **options: Any) -> ProblemGradients:
    """:func:`grpo_gradients` for the trusted validation problems (the same loss and projector;
    pass ``preconditioner=AdamPreconditioner.from_optimizer(...)`` for LESS/GradAlign's Adam
    scaling). gradsieve's gradalign sums the rows, so each validation problem weighs the same.
    Raises :class:`GRPOError` when every row is zero (no validation problem has unequal rewards:
    there is nothing to align with)."""
    options.setdefault("equal_groups", False)
    result = grpo_gradients(model, tokenizer, problems, **options)
    if result.grad.size == 0 or not np.any(result.grad):
        raise GRPOError(
            "the validation gradient is zero: every validation problem's completions got equal rewards "
            "(sample more completions, or use problems the model solves sometimes)"
        )
    return result


# -- rollouts ---------------------------------------------------------------------------------


RewardFunction = Callable[..., Sequence[float]]


def sample_rollouts(
    model: Any,
    tokenizer: Any,
    problems: Sequence[Mapping[str, Any]],
    reward_fn: RewardFunction,
    num_generations: int = 4,
    max_new_tokens: int = 32,
    temperature: float = 1.0,
    seed: Optional[int] = None,
) -> List[Dict[str, Any]]:
    """Samples ``num_generations`` completions per problem with ``model.generate`` and scores them.

    ``problems``: mappings with ``id`` and ``prompt`` (a string) and any other fields;
    ``reward_fn(prompts=[...], completions=[...], **columns)`` is called as TRL calls a reward
    function (one list entry per completion, the other fields of each problem passed as lists)
    and returns one reward per completion. Returns problems ready for :func:`grpo_gradients`.
    """
    import torch

    if num_generations < 1:
        raise GRPOError("num_generations must be at least 1")
    generator_state = torch.random.get_rng_state()
    if seed is not None:
        torch.manual_seed(seed)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    rollouts = []
    try:
        pad = _pad_token(tokenizer)
        for index, problem in enumerate(problems):
            identifier = normalize_id(problem.get("id"), f"problem {index}", GRPOError)
            prompt = problem.get("prompt")
            if not isinstance(prompt, str) or not prompt:
                raise GRPOError(f"problem {identifier!r}: sample_rollouts needs a non-empty string prompt")
            prompt_ids = torch.tensor([tokenizer(prompt)["input_ids"]], dtype=torch.long, device=device)
            with torch.no_grad():
                output = model.generate(
                    input_ids=prompt_ids.repeat(num_generations, 1),
                    attention_mask=torch.ones_like(prompt_ids).repeat(num_generations, 1),
                    do_sample=True, temperature=temperature, max_new_tokens=max_new_tokens,
                    pad_token_id=pad,
                )
            completion_ids = [row[prompt_ids.shape[1]:].tolist() for row in output]
            eos = getattr(tokenizer, "eos_token_id", None)
            if isinstance(eos, int):  # up to and including the first end-of-sequence token
                completion_ids = [ids[: ids.index(eos) + 1] if eos in ids else ids for ids in completion_ids]
            texts = [tokenizer.decode(ids, skip_special_tokens=True) for ids in completion_ids]
            columns = {key: [value] * num_generations for key, value in problem.items() if key not in ("prompt", "completions", "rewards")}
            rewards = [float(r) for r in reward_fn(prompts=[prompt] * num_generations, completions=texts, **columns)]
            if len(rewards) != num_generations:
                raise GRPOError(f"problem {identifier!r}: reward_fn returned {len(rewards)} rewards for {num_generations} completions")
            record = dict(problem)
            record.update(id=identifier, completions=completion_ids, completion_texts=texts, rewards=rewards)
            rollouts.append(record)
    finally:
        model.train(was_training)
        if seed is not None:
            torch.random.set_rng_state(generator_state)
    return rollouts
