"""A TRL GRPO run whose every epoch trains on the curriculum gradsieve selected for it.

    GRADSIEVE_BIN=.build/debug/gradsieve python3 python/examples/trl_curriculum.py --out /tmp/gs-example

Each epoch: rollouts from the current model on every problem, each problem's GRPO gradient
projected (gradsieve.grpo, factored projector) and its success rate, the validation problems'
gradients, all written as DATA/epochs/NNNN (follow mode); `gradsieve select --follow` scores
them with gradalign and writes OUT/epoch-NNNN/curriculum.jsonl; TRL trains the epoch on those
problems. By default a tiny Llama with random weights and arithmetic prompts (runs on a CPU in
seconds); --model takes a local Hugging Face causal LM directory instead (with its tokenizer),
--lora wraps it in LoRA adapters.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="working directory (DATA, OUT and TRL's output go inside)")
    parser.add_argument("--model", help="a local Hugging Face causal LM directory (default: a tiny random Llama)")
    parser.add_argument("--lora", type=int, default=0, help="LoRA rank (0: train every parameter)")
    parser.add_argument("--problems", type=int, default=32)
    parser.add_argument("--budget", type=int, default=8, help="problems per epoch's curriculum")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--proj-dim", type=int, default=2048)
    parser.add_argument("--workers", type=int, default=1, help="gradsieve worker processes")
    args = parser.parse_args()

    import torch
    from datasets import Dataset
    from trl import GRPOConfig

    from gradsieve.binary import start_follow
    from gradsieve.follow import CurriculumFeed, rollout_signals
    from gradsieve.tiny import arithmetic_problems, arithmetic_reward, char_tokenizer, tiny_llama
    from gradsieve.trl import GradsieveGRPOTrainer

    torch.manual_seed(0)
    if args.model:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(args.model)
        model = AutoModelForCausalLM.from_pretrained(args.model)
    else:
        tokenizer = char_tokenizer()
        model = tiny_llama(len(tokenizer))
    if args.lora:
        import peft

        model = peft.get_peft_model(model, peft.LoraConfig(r=args.lora, lora_alpha=2 * args.lora, target_modules="all-linear"))

    problems = arithmetic_problems(args.problems, seed=1)
    validation = arithmetic_problems(8, seed=2, start=10000)
    dataset = Dataset.from_list(problems)
    data, out = os.path.join(args.out, "data"), os.path.join(args.out, "out")

    feed = CurriculumFeed(
        data, out, dataset["id"], budget=args.budget, timeout=600,
        signals_fn=rollout_signals(tokenizer, problems, arithmetic_reward, validation,
                                   num_generations=args.generations, max_new_tokens=4, proj_dim=args.proj_dim),
        fields=[{"prompt": p["prompt"], "answer": p["answer"]} for p in problems],
    )
    coordinator = start_follow(data, out, epochs=args.epochs, method="gradalign", budget=args.budget,
                               workers=args.workers, force=True)
    feed.process = coordinator
    config = GRPOConfig(
        output_dir=os.path.join(args.out, "trl"), num_train_epochs=args.epochs, per_device_train_batch_size=args.generations,
        num_generations=args.generations, max_completion_length=4, learning_rate=1e-3, report_to=[],
        save_strategy="no", use_cpu=not torch.cuda.is_available(), bf16=False, logging_steps=args.budget, seed=0,
    )
    trainer = GradsieveGRPOTrainer(model=model, reward_funcs=arithmetic_reward, args=config, train_dataset=dataset,
                                   processing_class=tokenizer, feed=feed)
    try:
        trainer.train()
        coordinator.wait(timeout=60)
    finally:
        if coordinator.poll() is None:
            coordinator.terminate()
            coordinator.wait()
    for epoch, ids in enumerate(feed.history, start=1):
        print(f"epoch {epoch}: trained on {', '.join(ids)}")


if __name__ == "__main__":
    main()
