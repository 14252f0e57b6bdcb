"""A tiny Llama and a character tokenizer built in code (no download), for tests, the benchmark
and the examples: arithmetic prompts such as ``"3+4="`` with answers such as ``"7"``.

Needs torch, transformers and tokenizers (``pip install './python[trl]'``).
"""

from __future__ import annotations

import random
from typing import Any, Dict, List, Optional, Sequence

__all__ = ["ARITHMETIC_CHARACTERS", "arithmetic_problems", "arithmetic_reward", "char_tokenizer", "tiny_llama"]

ARITHMETIC_CHARACTERS = "0123456789+-*= "


def char_tokenizer(characters: str = ARITHMETIC_CHARACTERS) -> Any:
    """A ``PreTrainedTokenizerFast`` with one token per character and <pad>, <s>, </s>.

    Prompts get <s> in front (as a Llama tokenizer does); completions are tokenized without it.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocabulary = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3}
    for character in characters:
        vocabulary.setdefault(character, len(vocabulary))
    backend = Tokenizer(models.WordLevel(vocab=vocabulary, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    backend.decoder = decoders.Fuse()  # characters are joined as they are, without spaces
    backend.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )
    tokenizer.padding_side = "left"
    return tokenizer


def tiny_llama(vocab_size: int, hidden_size: int = 64, layers: int = 2, heads: int = 4, seed: int = 0,
               intermediate_size: Optional[int] = None) -> Any:
    """A ``LlamaForCausalLM`` with random weights from ``torch.manual_seed(seed)``."""
    import torch
    import transformers

    config = transformers.LlamaConfig(
        vocab_size=vocab_size, hidden_size=hidden_size, intermediate_size=intermediate_size or 2 * hidden_size,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=max(1, heads // 2),
        max_position_embeddings=128, pad_token_id=0, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    return transformers.LlamaForCausalLM(config)


def arithmetic_problems(count: int, seed: int = 0, start: int = 0) -> List[Dict[str, Any]]:
    """``count`` problems ``{"id": "arith-0000", "prompt": "3+4=", "answer": "7"}`` (sums and
    differences of one-digit numbers)."""
    generator = random.Random(seed)
    problems = []
    for index in range(start, start + count):
        a, b = generator.randint(0, 9), generator.randint(0, 9)
        operator = generator.choice("+-")
        answer = a + b if operator == "+" else a - b
        problems.append({"id": f"arith-{index:04d}", "prompt": f"{a}{operator}{b}=", "answer": str(answer)})
    return problems


def arithmetic_reward(prompts: Sequence[str], completions: Sequence[Any], answer: Sequence[str], **_: Any) -> List[float]:
    """1.0 when the completion starts with the answer, 0.5 when it contains its first digit, else 0
    (a TRL reward function: one list entry per completion)."""
    rewards = []
    for completion, expected in zip(completions, answer):
        text = completion if isinstance(completion, str) else str(completion)
        text = text.strip()
        if text.startswith(expected):
            rewards.append(1.0)
        elif expected[-1] in text:
            rewards.append(0.5)
        else:
            rewards.append(0.0)
    return rewards
