"""gradsieve.grpo: the GRPO loss, masks, advantages, success, Adam preconditioning and bad input,
on a tiny Llama built from a config (random weights, no download). Skipped without torch and
transformers."""

import os

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install './python[torch]')")
pytest.importorskip("transformers", reason="transformers is not installed (pip install './python[trl]')")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch.set_num_threads(1)

from gradsieve.grpo import (  # noqa: E402
    AdamPreconditioner, GRPOError, group_rollouts, group_success, grpo_gradients, sample_rollouts, success_rate,
    validation_gradients,
)
from gradsieve.projection import FactoredProjector, ProjectionError  # noqa: E402
from gradsieve.tiny import arithmetic_problems, arithmetic_reward, char_tokenizer, tiny_llama  # noqa: E402


@pytest.fixture(scope="module")
def tokenizer():
    return char_tokenizer()


@pytest.fixture()
def model(tokenizer):
    return tiny_llama(len(tokenizer), hidden_size=32, layers=2, heads=4, seed=0).eval()


PROBLEMS = [
    {"id": "a", "prompt": "3+4=", "completions": ["7", "12 ", "7-1", "8"], "rewards": [1.0, 0.0, 0.5, 0.0]},
    {"id": 5, "prompt": "9-2=", "completions": ["7", "7", "7", "7"], "rewards": [1, 1, 1, 1]},
    {"id": "c", "prompt": "1+1=", "completions": ["2", "3", "22", "11 1"], "rewards": [1, 0, 0, 0]},
]


def manual_gradient(model, tokenizer, problem, normalization="token"):
    """The loss written out sequence by sequence (no padding at all), its exact gradient per parameter."""
    rewards = np.asarray(problem["rewards"], dtype=np.float64)
    advantages = rewards - rewards.mean()
    prompt = tokenizer(problem["prompt"])["input_ids"]
    completions = [tokenizer(c, add_special_tokens=False)["input_ids"] for c in problem["completions"]]
    total_tokens = sum(len(c) for c in completions)
    loss = 0.0
    for advantage, completion in zip(advantages, completions):
        ids = torch.tensor([prompt + completion])
        logits = model(input_ids=ids).logits[0]
        log_probs = logits.log_softmax(-1)
        token_log_probs = torch.stack([log_probs[len(prompt) - 1 + t, completion[t]] for t in range(len(completion))])
        if normalization == "token":
            loss = loss - float(advantage) * token_log_probs.sum() / total_tokens
        else:
            loss = loss - float(advantage) * token_log_probs.mean() / len(completions)
    names = [name for name, p in model.named_parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, [p for _, p in model.named_parameters() if p.requires_grad], allow_unused=True)
    return {name: grad for name, grad in zip(names, grads) if grad is not None}


@pytest.mark.parametrize("normalization", ["token", "sequence"])
@pytest.mark.parametrize("proj_dim", [64, 4096])
def test_gradient_is_the_grpo_loss_of_the_completion_tokens(model, tokenizer, normalization, proj_dim):
    # Completions of different lengths: right padding, prompt tokens and padding must all be masked.
    projector = FactoredProjector(model, proj_dim=proj_dim, seed=3)
    result = grpo_gradients(model, tokenizer, PROBLEMS, projector=projector, normalization=normalization)
    assert result.ids == ["a", "5", "c"]
    for row, problem in enumerate(PROBLEMS):
        expected = projector.project_gradients(manual_gradient(model, tokenizer, problem, normalization)).numpy()
        np.testing.assert_allclose(result.grad[row], expected, rtol=2e-4, atol=2e-6 * np.abs(expected).max() + 1e-9)
    assert not np.any(result.grad[1])  # equal rewards: zero advantage, zero gradient
    np.testing.assert_allclose(result.success, [0.375, 1.0, 0.25])
    assert list(result.tokens) == [1 + 3 + 3 + 1, 4, 1 + 1 + 2 + 4]


def test_micro_batches_and_the_dense_projector_agree(model, tokenizer):
    whole = grpo_gradients(model, tokenizer, PROBLEMS, proj_dim=256, seed=1)
    split = grpo_gradients(model, tokenizer, PROBLEMS, proj_dim=256, seed=1, micro_batch=1)
    np.testing.assert_allclose(whole.grad, split.grad, rtol=1e-4, atol=1e-6)
    dense = grpo_gradients(model, tokenizer, PROBLEMS, proj_dim=256, seed=1, projector="dense")
    from gradsieve.projection import DenseProjector

    expected = DenseProjector(model, 256, seed=1).project_gradients(manual_gradient(model, tokenizer, PROBLEMS[0])).numpy()
    np.testing.assert_allclose(dense.grad[0], expected, rtol=2e-4, atol=1e-6)
    assert model.training is False


def test_lora_gradients_through_peft(tokenizer):
    peft = pytest.importorskip("peft", reason="peft is not installed")
    base = tiny_llama(len(tokenizer), hidden_size=32, layers=2, heads=4, seed=0)
    config = peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "up_proj"], lora_dropout=0.0,
                             init_lora_weights=False)
    model = peft.get_peft_model(base, config).eval()
    projector = FactoredProjector(model, proj_dim=1024, seed=0)
    assert all(plan.kind == "linear" for plan in projector.plans.values())  # only LoRA A/B are trainable
    assert len(projector.plans) == 2 * 3 * 2
    result = grpo_gradients(model, tokenizer, PROBLEMS[:1], projector=projector)
    expected = projector.project_gradients(manual_gradient(model, tokenizer, PROBLEMS[0])).numpy()
    np.testing.assert_allclose(result.grad[0], expected, rtol=2e-4, atol=1e-6)
    assert np.any(result.grad[0])


def test_adam_preconditioned_validation_gradient(model, tokenizer):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.99), eps=1e-6)
    with pytest.raises(GRPOError, match="has no exp_avg_sq yet"):
        AdamPreconditioner.from_optimizer(model, optimizer)
    for parameter in model.parameters():
        parameter.grad = torch.randn_like(parameter)
    optimizer.step()
    optimizer.step()
    preconditioner = AdamPreconditioner.from_optimizer(model, optimizer)
    projector = FactoredProjector(model, proj_dim=512, seed=2)
    result = validation_gradients(model, tokenizer, [PROBLEMS[0], PROBLEMS[2]], projector=projector,
                                  preconditioner=preconditioner)
    for row, problem in enumerate([PROBLEMS[0], PROBLEMS[2]]):
        exact = manual_gradient(model, tokenizer, problem)
        scaled = {}
        for name, grad in exact.items():
            parameter = dict(model.named_parameters())[name]
            v_hat = optimizer.state[parameter]["exp_avg_sq"] / (1 - 0.99 ** 2)
            scaled[name] = grad / (v_hat.sqrt() + 1e-6)
        expected = projector.project_gradients(scaled).numpy()
        np.testing.assert_allclose(result.grad[row], expected, rtol=2e-4, atol=1e-6 * np.abs(expected).max())
    plain = validation_gradients(model, tokenizer, [PROBLEMS[0]], projector=projector)
    assert not np.allclose(plain.grad[0], result.grad[0])


def test_success_from_reward_lists():
    assert success_rate([1, 0, 1, 1]) == 0.75
    assert success_rate([3.0, -1.0, 2.5], threshold=2.0) == pytest.approx(2 / 3)
    np.testing.assert_allclose(group_success([[1, 0], [0.5, 0.5]]), [0.5, 0.5])
    with pytest.raises(GRPOError, match=r"problem '7': rewards outside \[0, 1\]"):
        group_success([[1, 0], [2.0, 0]], ids=["x", 7])
    with pytest.raises(GRPOError, match="not finite"):
        success_rate([1.0, float("nan")])


def test_group_rollouts_from_flat_rows():
    problems = group_rollouts([1, 1, "b", "b"], ["p1", "p1", "p2", "p2"], ["x", "y", "z", "w"], [1, 0, 0, 0])
    assert problems == [
        {"id": "1", "prompt": "p1", "completions": ["x", "y"], "rewards": [1, 0]},
        {"id": "b", "prompt": "p2", "completions": ["z", "w"], "rewards": [0, 0]},
    ]
    with pytest.raises(GRPOError, match=r"rollout 2 \(problem 'b'\): completion without its prompt"):
        group_rollouts([1, 1, "b"], ["p1", "p1", None], ["x", "y", "z"], [1, 0, 0])
    with pytest.raises(GRPOError, match="differs from the group's first prompt"):
        group_rollouts([1, 1], ["p1", "p2"], ["x", "y"], [1, 0])
    with pytest.raises(GRPOError, match="one entry per completion"):
        group_rollouts([1, 1], ["p1"], ["x", "y"], [1, 0])


@pytest.mark.parametrize("problems, message", [
    ([{"id": "a", "prompt": "", "completions": ["1"], "rewards": [1]}], "problem 'a': completion without its prompt"),
    ([{"id": "a", "completions": ["1"], "rewards": [1]}], "problem 'a': completion without its prompt"),
    ([{"id": "a", "prompt": "1+1=", "completions": ["1", "2"], "rewards": [1, 0]},
      {"id": "b", "prompt": "1+2=", "completions": ["3"], "rewards": [1]}],
     "problem 'b': groups of unequal size: 1 completions, problem 'a' has 2"),
    ([{"id": "a", "prompt": "1+1=", "completions": ["1", "2"], "rewards": [1]}], "problem 'a': 2 completions but rewards 1"),
    ([{"id": "a", "prompt": "1+1=", "completions": ["1"], "rewards": [1]},
      {"id": "a", "prompt": "1+2=", "completions": ["3"], "rewards": [1]}], "problem 'a': duplicate id"),
    ([{"id": 1.5, "prompt": "1+1=", "completions": ["1"], "rewards": [1]}], "not a string or an integer"),
    ([{"id": "a", "prompt": "1+1=", "completions": [], "rewards": []}], "'completions' must be a non-empty list"),
    ([{"id": "a", "prompt": "1+1=", "completions": ["2", "3"], "rewards": [1, float("inf")]}], "reward is not finite"),
])
def test_bad_problems_are_refused(model, tokenizer, problems, message):
    with pytest.raises(GRPOError, match=message):
        grpo_gradients(model, tokenizer, problems, proj_dim=16)


def test_a_model_whose_gradients_are_all_zero_is_an_error(model, tokenizer):
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
    with pytest.raises(GRPOError, match="problem 'a': the rewards differ but the gradient is exactly zero"):
        grpo_gradients(model, tokenizer, PROBLEMS, proj_dim=16)


def test_a_frozen_model_is_an_error(model, tokenizer):
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    with pytest.raises(ProjectionError, match="no trainable parameters"):
        grpo_gradients(model, tokenizer, PROBLEMS, proj_dim=16)


def test_validation_gradient_must_not_be_zero(model, tokenizer):
    with pytest.raises(GRPOError, match="the validation gradient is zero"):
        validation_gradients(model, tokenizer, [PROBLEMS[1]], proj_dim=16)


def test_sample_rollouts_scores_completions_like_trl(model, tokenizer):
    problems = arithmetic_problems(3, seed=4)
    seen = {}

    def reward(prompts, completions, answer, id, **_):
        seen.update(prompts=prompts, ids=id)
        return arithmetic_reward(prompts, completions, answer)

    rollouts = sample_rollouts(model, tokenizer, problems, reward, num_generations=3, max_new_tokens=3, seed=0)
    assert [r["id"] for r in rollouts] == [p["id"] for p in problems]
    assert all(len(r["completions"]) == 3 and len(r["rewards"]) == 3 for r in rollouts)
    assert seen["ids"] == [problems[2]["id"]] * 3 and seen["prompts"] == [problems[2]["prompt"]] * 3
    again = sample_rollouts(model, tokenizer, problems, reward, num_generations=3, max_new_tokens=3, seed=0)
    assert [r["completions"] for r in again] == [r["completions"] for r in rollouts]  # seeded
    result = grpo_gradients(model, tokenizer, rollouts, proj_dim=64)
    assert result.grad.shape == (3, 64) and np.isfinite(result.grad).all()


def test_prompts_as_chat_messages_or_token_ids(model, tokenizer):
    tokenizer = char_tokenizer()
    tokenizer.chat_template = "{% for message in messages %}{{ message['content'] }}{% endfor %}"
    rendered = tokenizer("3+4=", add_special_tokens=False)["input_ids"]
    base = dict(PROBLEMS[0])
    as_messages = dict(base, prompt=[{"role": "user", "content": "3+4="}])
    as_ids = dict(base, prompt=rendered, completions=[tokenizer(c, add_special_tokens=False)["input_ids"]
                                                      for c in base["completions"]])
    projector = FactoredProjector(model, proj_dim=128, seed=0)
    rows = grpo_gradients(model, tokenizer, [as_messages, dict(as_ids, id="ids")], projector=projector).grad
    np.testing.assert_allclose(rows[0], rows[1], rtol=1e-5, atol=1e-7)
    with_bos = grpo_gradients(model, tokenizer, [base], projector=projector).grad  # a string prompt gets <s>
    assert not np.allclose(with_bos[0], rows[0])
    with pytest.raises(GRPOError, match="the prompt must be a string, a list of token ids or a list of chat messages"):
        grpo_gradients(model, tokenizer, [dict(base, prompt=3.5)], projector=projector)


def test_max_length_cuts_completions_and_refuses_a_group_left_empty(model, tokenizer):
    cut = grpo_gradients(model, tokenizer, [PROBLEMS[2]], proj_dim=64, max_length=6)  # <s> 1+1= then 1 token
    assert list(cut.tokens) == [4]  # one token left of each of the 4 completions
    with pytest.raises(GRPOError, match="problem 'c': every completion is empty"):
        grpo_gradients(model, tokenizer, [PROBLEMS[2]], proj_dim=64, max_length=3)  # shorter than the prompt
