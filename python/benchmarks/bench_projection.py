"""Projection time per problem against the forward+backward pass, on CPU, and the cost model that
extrapolates it to Qwen2.5-0.5B and Qwen2.5-7B with LoRA r=16 on every linear layer.

    python3 python/benchmarks/bench_projection.py [--threads 1] [--repeats 5]

For each model and projector: one problem = a GRPO group of G completions (prompt + completion
tokens), the time of a plain training step's forward and backward (``loss.backward()``, every
trainable parameter's gradient) against the factored projector's time to project that problem's
gradient from the hooked activations (after its own backward pass, which computes the output
gradients only), and the old dense projector (``gradsieve.torch_grads.projected_gradients``).
Medians over ``--repeats`` problems after one warm-up. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402

from gradsieve.projection import FactoredProjector, plan_parameter, projection_macs  # noqa: E402
from gradsieve.torch_grads import projected_gradients  # noqa: E402


def llama(hidden, layers, intermediate, heads, kv_heads, vocab, seed=0):
    config = transformers.LlamaConfig(
        vocab_size=vocab, hidden_size=hidden, intermediate_size=intermediate, num_hidden_layers=layers,
        num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=512, tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    return transformers.LlamaForCausalLM(config).eval()


def lora(model, rank):
    import peft

    config = peft.LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, init_lora_weights=False,
                             target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    return peft.get_peft_model(model, config).eval()


def problem(vocab, group, prompt, completion, seed):
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab, (group, prompt + completion), generator=generator)
    mask = torch.zeros_like(ids, dtype=torch.bool)
    mask[:, prompt:] = True
    advantages = torch.randn(group, generator=generator)
    return ids, mask, advantages


def grpo_loss(model, ids, mask, advantages):
    logits = model(input_ids=ids, use_cache=False).logits
    m = mask[:, 1:]
    log_probs = logits[:, :-1][m].float().log_softmax(-1).gather(-1, ids[:, 1:][m][:, None]).squeeze(-1)
    return -(advantages[:, None].expand_as(m)[m] * log_probs).sum() / m.sum()


def measure(model, vocab, group, prompt, completion, proj_dim, repeats, dense_too):
    projector = FactoredProjector(model, proj_dim=proj_dim, seed=0)
    train, forward, project, dense = [], [], [], []
    for index in range(repeats + 1):
        ids, mask, advantages = problem(vocab, group, prompt, completion, index)
        started = time.perf_counter()
        loss = grpo_loss(model, ids, mask, advantages)
        forward_done = time.perf_counter()
        loss.backward()
        done = time.perf_counter()
        model.zero_grad(set_to_none=True)
        with projector.capture() as capture:
            capture.project(grpo_loss(model, ids, mask, advantages))
        if dense_too and index <= 3:  # slow: three problems are enough
            t0 = time.perf_counter()
            projected_gradients(model, [(ids, mask, advantages)], loss_fn=lambda m, ex: grpo_loss(m, *ex),
                                proj_dim=proj_dim, batch_size=1)
            dense_seconds = time.perf_counter() - t0
        if index:  # the first is a warm-up
            train.append(done - started)
            forward.append(forward_done - started)
            project.append(capture.seconds["projection"])
            if dense_too and index <= 3:
                dense.append(dense_seconds)
    macs = projector.cost_per_token()
    return {
        "fwd+bwd": statistics.median(train), "forward": statistics.median(forward),
        "projection": statistics.median(project), "dense": statistics.median(dense) if dense else None,
        "macs": macs, "params": sum(p.numel() for _, p in projector.parameters),
    }


def linear_shapes(hidden, intermediate, heads, kv_heads):
    head = hidden // heads
    return [(hidden, hidden), (kv_heads * head, hidden), (kv_heads * head, hidden), (hidden, hidden),
            (intermediate, hidden), (intermediate, hidden), (hidden, intermediate)]  # [out, in]


def lora_cost_model(name, hidden, intermediate, layers, heads, kv_heads, vocab, rank, proj_dim, block_factor=1):
    """Multiply-adds per token: LoRA training (frozen base forward, its backward to the
    activations, lm_head both ways, the adapters' three matmuls each way) against the factored
    projection of every adapter's A [r, in] and B [out, r]. Attention's T^2 terms are left out of
    the training side, which makes the projection's share look larger than it is."""
    base = sum(o * i for o, i in linear_shapes(hidden, intermediate, heads, kv_heads)) * layers
    adapters = sum(rank * (o + i) for o, i in linear_shapes(hidden, intermediate, heads, kv_heads)) * layers
    training = 2 * base + 2 * vocab * hidden + 3 * adapters
    projection = 0
    for out, inp in linear_shapes(hidden, intermediate, heads, kv_heads):
        projection += projection_macs(plan_parameter("A", (rank, inp), "linear", proj_dim, block_factor))
        projection += projection_macs(plan_parameter("B", (out, rank), "linear", proj_dim, block_factor))
    projection *= layers
    return name, training, projection


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--proj-dim", type=int, default=8192)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, {args.threads} thread(s), "
          f"proj_dim {args.proj_dim}, median of {args.repeats} problems")
    print()
    header = f"{'model':<44} {'params':>10} {'tokens':>7} {'fwd+bwd ms':>11} {'proj ms':>8} {'proj/fb':>8} {'MAC ratio':>9} {'dense ms':>9}"
    print(header)
    print("-" * len(header))
    cases = [
        ("tiny Llama 64x2, full (the issue's)", lambda: llama(64, 2, 128, 4, 2, 32), 32, 8, 8, 8, True, None),
        ("Llama 512x4, full", lambda: llama(512, 4, 1536, 8, 2, 1024), 1024, 8, 32, 96, False, None),
        ("Llama 512x4, LoRA r=16 all linear", lambda: lora(llama(512, 4, 1536, 8, 2, 1024), 16), 1024, 8, 32, 96, False,
         (512, 1536, 4, 8, 2, 1024)),
        ("Llama 1024x4, LoRA r=16 all linear", lambda: lora(llama(1024, 4, 2816, 16, 4, 1024), 16), 1024, 8, 32, 96, False,
         (1024, 2816, 4, 16, 4, 1024)),
    ]
    for name, build, vocab, group, prompt, completion, dense_too, shape in cases:
        try:
            model = build()
        except ImportError as error:
            print(f"{name:<44} skipped: {error}")
            continue
        result = measure(model, vocab, group, prompt, completion, args.proj_dim, args.repeats, dense_too)
        tokens = group * (prompt + completion)
        dense = f"{result['dense'] * 1e3:9.1f}" if result["dense"] is not None else f"{'-':>9}"
        if shape is None:  # every linear layer trains: forward + backward is about 3x the forward's MACs
            mac_ratio = result["macs"]["projection"] / (3 * result["macs"]["layer_forward"])
        else:
            _, training, projection = lora_cost_model(name, *shape, 16, args.proj_dim)
            mac_ratio = projection / training
        print(f"{name:<44} {result['params']:>10,} {tokens:>7} {result['fwd+bwd'] * 1e3:11.1f} "
              f"{result['projection'] * 1e3:8.1f} {result['projection'] / result['fwd+bwd']:8.1%} {mac_ratio:9.1%} {dense}")
    print()
    print("proj/fb: measured projection time over a training step's forward+backward; MAC ratio: the same")
    print("from multiply-adds per token (the cost model below for LoRA); dense: the old dense projector, per problem.")
    print()
    print("Cost model, LoRA r=16 on q,k,v,o,gate,up,down (multiply-adds per token):")
    for block_factor in (1, 4):
        for case in (
            lora_cost_model("Qwen2.5-0.5B", 896, 4864, 24, 14, 2, 151936, 16, args.proj_dim, block_factor),
            lora_cost_model("Qwen2.5-7B", 3584, 18944, 28, 28, 4, 152064, 16, args.proj_dim, block_factor),
        ):
            name, training, projection = case
            print(f"  {name:<14} block_factor={block_factor}: training {training / 1e6:9.1f} M, "
                  f"projection {projection / 1e6:7.2f} M = {projection / training:6.2%} of forward+backward")


if __name__ == "__main__":
    main()
