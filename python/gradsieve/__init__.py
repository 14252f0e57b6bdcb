"""gradsieve's Python companion: write signal pools from a training loop, read curricula back.

numpy is the only dependency of what this imports. The modules that need more import it
themselves: ``gradsieve.projection``, ``gradsieve.torch_grads`` (torch; ``pip install
'./python[torch]'``), ``gradsieve.grpo``, ``gradsieve.follow``, ``gradsieve.tiny`` (torch,
transformers), ``gradsieve.trl`` (trl; ``pip install './python[trl]'``), ``gradsieve.verl``
(verl, when its dataset class is used). ``gradsieve.binary`` runs the gradsieve binary.
"""

from .curriculum import (
    CurriculumError,
    CurriculumSampler,
    curriculum_path,
    index_by_id,
    latest_epoch,
    read_curriculum,
    read_sample_ids,
    wait_for_curriculum,
)
from .binary import GradsieveError, GradsieveNotFound, find_binary, run_select, start_follow
from .ids import normalize_id
from .pool import PoolError, PoolSummary, PoolWriter, write_epoch, write_samples
from .safetensors_io import (
    SafetensorsError,
    SafetensorsFile,
    bf16_bits_to_float32,
    float32_to_bf16_bits,
    load_safetensors,
    write_safetensors,
)

__version__ = "0.2.0"

__all__ = [
    "CurriculumError",
    "GradsieveError",
    "GradsieveNotFound",
    "find_binary",
    "run_select",
    "start_follow",
    "CurriculumSampler",
    "PoolError",
    "PoolSummary",
    "PoolWriter",
    "SafetensorsError",
    "SafetensorsFile",
    "bf16_bits_to_float32",
    "curriculum_path",
    "index_by_id",
    "normalize_id",
    "wait_for_curriculum",
    "write_samples",
    "float32_to_bf16_bits",
    "latest_epoch",
    "load_safetensors",
    "read_curriculum",
    "read_sample_ids",
    "write_epoch",
    "write_safetensors",
]
