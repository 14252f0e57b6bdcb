"""End to end on CPU: a tiny Llama (random weights from a config, no download), arithmetic
prompts, rollouts sampled from it, per-problem GRPO gradients projected, a pool written, the real
`gradsieve select` run, the curriculum read back; then two TRL GRPO epochs, each trained on the
curriculum `gradsieve select --follow` wrote for it from the signals of the model as trained so far.

Needs torch, transformers, trl and the gradsieve binary ($GRADSIEVE_BIN or ../.build/debug/gradsieve);
skipped with a message when one is missing. `make test` installs and builds all of them.
"""

import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install './python[trl]')")
pytest.importorskip("transformers", reason="transformers is not installed (pip install './python[trl]')")
os.environ["HF_HUB_OFFLINE"] = "1"
torch.set_num_threads(1)

from gradsieve import CurriculumError, PoolWriter, read_curriculum  # noqa: E402
from gradsieve.binary import GradsieveNotFound, find_binary, run_select, start_follow  # noqa: E402
from gradsieve.follow import CurriculumFeed, EpochSignals, rollout_signals  # noqa: E402
from gradsieve.grpo import grpo_gradients, sample_rollouts, validation_gradients  # noqa: E402
from gradsieve.projection import FactoredProjector  # noqa: E402
from gradsieve.tiny import arithmetic_problems, arithmetic_reward, char_tokenizer, tiny_llama  # noqa: E402

pytestmark = pytest.mark.integration

PROJ_DIM = 512


def gradalign_order(grad, validation, success, budget):
    """README's gradalign on the written pool: cos(grad_i, sum of validation rows), 0 for a zero
    gradient or a success of 0 or 1; the top `budget`, ties to the lower row."""
    grad, reference = grad.astype(np.float64), validation.astype(np.float64).sum(axis=0)
    norms = np.linalg.norm(grad, axis=1)
    scores = np.where(norms > 0, grad @ reference / (np.where(norms > 0, norms, 1) * np.linalg.norm(reference)), 0.0)
    scores = np.where((success <= 0) | (success >= 1), 0.0, scores)
    return sorted(range(len(scores)), key=lambda row: (-scores[row], row))[:budget]


def test_model_to_pool_to_curriculum(tmp_path, gradsieve_bin):
    tokenizer = char_tokenizer()
    model = tiny_llama(len(tokenizer), hidden_size=64, layers=2, seed=0)
    problems = [dict(p, id=index) for index, p in enumerate(arithmetic_problems(16, seed=1))]  # integer ids
    held_out = arithmetic_problems(4, seed=2, start=100)
    rollouts = sample_rollouts(model, tokenizer, problems, arithmetic_reward, num_generations=6, max_new_tokens=3, seed=0)
    projector = FactoredProjector(model, proj_dim=PROJ_DIM, seed=0)
    train = grpo_gradients(model, tokenizer, rollouts, projector=projector)
    validation = validation_gradients(model, tokenizer, sample_rollouts(model, tokenizer, held_out, arithmetic_reward,
                                      num_generations=6, max_new_tokens=3, seed=1), projector=projector)
    assert train.ids == [str(i) for i in range(16)]
    assert 0 < int(((train.success > 0) & (train.success < 1)).sum())  # some problems are informative

    pool = tmp_path / "pool"
    with PoolWriter(pool) as writer:
        writer.add([p["id"] for p in problems], grad=train.grad, success=train.success,
                   fields=[{"prompt": p["prompt"], "answer": p["answer"]} for p in problems])
        writer.add_validation(validation.grad)
    curriculum = run_select(pool, tmp_path / "out", method="gradalign", budget=5, workers=1, binary=gradsieve_bin)
    assert [entry["rank"] for entry in curriculum] == [1, 2, 3, 4, 5]
    assert all(entry["id"] == str(entry["row"]) for entry in curriculum)  # integer ids came back as strings
    assert [entry["row"] for entry in curriculum] == gradalign_order(train.grad, validation.grad, train.success, 5)


def test_run_select_errors(tmp_path, gradsieve_bin, monkeypatch):
    monkeypatch.delenv("GRADSIEVE_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GradsieveNotFound, match="set GRADSIEVE_BIN"):
        find_binary()
    monkeypatch.setenv("GRADSIEVE_BIN", str(tmp_path / "missing"))
    with pytest.raises(GradsieveNotFound, match="is not an executable file"):
        find_binary()
    from gradsieve.binary import GradsieveError

    with pytest.raises(GradsieveError, match="exited with status"):
        run_select(tmp_path / "no-pool", tmp_path / "out", budget=3, binary=gradsieve_bin)


def test_two_trl_grpo_epochs_on_successive_curricula(tmp_path, gradsieve_bin, monkeypatch):
    pytest.importorskip("trl", reason="trl is not installed (pip install './python[trl]')")
    from datasets import Dataset
    from trl import GRPOConfig

    from gradsieve.trl import GradsieveGRPOTrainer

    tokenizer = char_tokenizer()
    model = tiny_llama(len(tokenizer), hidden_size=64, layers=2, seed=0)
    problems = arithmetic_problems(12, seed=3)
    dataset = Dataset.from_list(problems)
    data, out = tmp_path / "data", tmp_path / "out"
    budget = 4
    feed = CurriculumFeed(data, out, dataset["id"], budget=budget, timeout=120,
                          signals_fn=rollout_signals(tokenizer, problems, arithmetic_reward,
                                                     arithmetic_problems(3, seed=4, start=100), num_generations=4,
                                                     max_new_tokens=4, proj_dim=PROJ_DIM,
                                                     optimizer=lambda: trainer.optimizer))  # Adam-scaled from epoch 2
    from gradsieve.grpo import AdamPreconditioner

    preconditioners = []
    original = AdamPreconditioner.from_optimizer.__func__
    monkeypatch.setattr(AdamPreconditioner, "from_optimizer",
                        classmethod(lambda cls, m, o: preconditioners.append(original(cls, m, o)) or preconditioners[-1]))
    coordinator = start_follow(data, out, epochs=2, method="gradalign", budget=budget, workers=1, binary=gradsieve_bin)
    feed.process = coordinator
    trained = {}

    def reward(prompts, completions, answer, id, **_):
        trained.setdefault(feed.epoch, []).extend(id)  # the ids TRL trains on, per gradsieve epoch
        return arithmetic_reward(prompts, completions, answer)

    args = GRPOConfig(output_dir=str(tmp_path / "trl"), per_device_train_batch_size=4, num_generations=4,
                      max_completion_length=4, num_train_epochs=2, learning_rate=1e-3, report_to=[],
                      save_strategy="no", use_cpu=True, seed=0, bf16=False, disable_tqdm=True, logging_steps=100)
    trainer = GradsieveGRPOTrainer(model=model, reward_funcs=reward, args=args, train_dataset=dataset,
                                   processing_class=tokenizer, feed=feed)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    try:
        trainer.train()
        assert coordinator.wait(timeout=60) == 0
    finally:
        if coordinator.poll() is None:
            coordinator.kill()
            coordinator.wait()

    assert len(feed.history) == 2
    # Epoch 1's validation gradient is plain (the optimizer has no state yet), epoch 2's Adam-scaled.
    assert len(preconditioners) == 1 and len(preconditioners[0].denominators) == len(list(model.parameters()))
    for epoch in (1, 2):
        assert (data / "epochs" / f"{epoch:04d}" / "COMPLETE").exists()
        curriculum = [entry["id"] for entry in read_curriculum(out, epoch, data=data)]
        assert feed.history[epoch - 1] == curriculum
        # Every curriculum problem trained once per generation, and nothing else.
        assert sorted(trained[epoch]) == sorted(curriculum * 4)
    assert trainer.state.global_step == 2 * budget
    assert any(not torch.equal(before[name], p) for name, p in model.named_parameters())
    samples = [json.loads(line)["id"] for line in open(data / "samples.jsonl", encoding="utf-8")]
    assert samples == dataset["id"]


def test_feed_refuses_a_curriculum_id_not_in_the_dataset(tmp_path):
    data, out = tmp_path / "data", tmp_path / "out"
    feed = CurriculumFeed(data, out, ["a", "b", "c"], budget=1, timeout=1)
    # A curriculum from a pool whose samples.jsonl has an id the trainer's dataset lacks.
    (out / "epoch-0001").mkdir(parents=True)
    (out / "epoch-0001" / "curriculum.jsonl").write_text('{"id": "zz", "row": 1, "rank": 1, "score": 0.5}\n')
    (data / "samples.jsonl").write_text('{"id": "a"}\n{"id": "zz"}\n{"id": "c"}\n')
    with pytest.raises(CurriculumError, match="curriculum id 'zz' .* is not in the training dataset"):
        feed.receive(1)
    (out / "epoch-0002").mkdir()
    (out / "epoch-0002" / "curriculum.jsonl").write_text(
        '{"id": "a", "row": 0, "rank": 1, "score": 0.5}\n{"id": "c", "row": 2, "rank": 2, "score": 0.4}\n')
    with pytest.raises(CurriculumError, match="holds 2 problems, the trainer expects budget=1"):
        feed.receive(2)
    with pytest.raises(CurriculumError, match="row 1 is 'c', the dataset's row 1 is 'b'"):
        CurriculumFeed(tmp_path / "d2", out, ["a", "b"], budget=1,
                       signals_fn=lambda model, epoch: EpochSignals(success=np.array([0.5, 0.5]), ids=["a", "c"])).write(None, 1)
