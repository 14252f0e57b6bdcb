"""Run the ``gradsieve`` binary from Python: ``gradsieve select`` once, or following a trainer.

The binary is ``$GRADSIEVE_BIN`` when set, else ``gradsieve`` on ``PATH``; neither raises
:class:`GradsieveNotFound` saying how to get one (``swift build -c release`` in the repository,
then ``.build/release/gradsieve``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Any, Dict, List, Optional, Sequence, Union

from .curriculum import read_curriculum

__all__ = ["GradsieveError", "GradsieveNotFound", "find_binary", "run_select", "start_follow"]

PathLike = Union[str, "os.PathLike[str]"]


class GradsieveNotFound(FileNotFoundError):
    """No gradsieve binary at $GRADSIEVE_BIN or on PATH."""


class GradsieveError(RuntimeError):
    """``gradsieve`` exited with a non-zero status (its standard error is in the message)."""


def find_binary(binary: Optional[PathLike] = None) -> str:
    """``binary`` if given, else ``$GRADSIEVE_BIN``, else ``gradsieve`` on ``PATH``; checked executable."""
    if binary is not None:
        candidate, source = os.fspath(binary), "binary="
    elif os.environ.get("GRADSIEVE_BIN"):
        candidate, source = os.environ["GRADSIEVE_BIN"], "$GRADSIEVE_BIN"
    else:
        found = shutil.which("gradsieve")
        if found is None:
            raise GradsieveNotFound(
                "no gradsieve binary: set GRADSIEVE_BIN to its path or put it on PATH "
                "(build it with `swift build -c release` in the gradsieve repository: .build/release/gradsieve)"
            )
        return found
    if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
        raise GradsieveNotFound(f"{source} {candidate!r} is not an executable file")
    return candidate


def _options(options: Dict[str, Any]) -> List[str]:
    arguments: List[str] = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            arguments.append(flag)
        elif value is False or value is None:
            continue
        else:
            arguments += [flag, str(value)]
    return arguments


def run_select(
    data: PathLike,
    out: PathLike,
    method: str = "gradalign",
    budget: Optional[int] = None,
    workers: int = 1,
    force: bool = False,
    binary: Optional[PathLike] = None,
    timeout: Optional[float] = None,
    extra_args: Sequence[str] = (),
    **options: Any,
) -> List[Dict[str, Any]]:
    """Runs ``gradsieve select --data DATA --method METHOD --budget N --workers W --out OUT`` and
    returns the curriculum it wrote (``read_curriculum(out, 1, data=data)``, checked against the
    pool's ids). Other options are passed as flags: ``shard_rows=64`` becomes
    ``--shard-rows 64``, ``True`` a bare flag. A failure raises :class:`GradsieveError` with the
    command and its standard error."""
    command = [find_binary(binary), "select", "--data", os.fspath(data), "--method", method,
               "--workers", str(workers), "--out", os.fspath(out)]
    if budget is not None:
        command += ["--budget", str(budget)]
    if force:
        command.append("--force")
    command += _options(options) + list(extra_args)
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if completed.returncode != 0:
        raise GradsieveError(
            f"{' '.join(command)} exited with status {completed.returncode}:\n{completed.stderr.strip()[-4000:]}"
        )
    return read_curriculum(out, 1, data=data)


def start_follow(
    data: PathLike,
    out: PathLike,
    epochs: int,
    method: str = "gradalign",
    budget: Optional[int] = None,
    workers: int = 1,
    force: bool = False,
    binary: Optional[PathLike] = None,
    extra_args: Sequence[str] = (),
    **options: Any,
) -> "subprocess.Popen[bytes]":
    """Starts ``gradsieve select --follow --epochs N ...`` in the background and returns the
    process. Its standard error goes to a temporary file, ``process.log`` (never a pipe that could
    fill and stall it), which :func:`gradsieve.wait_for_curriculum` quotes if it fails. It
    waits for ``DATA/epochs/NNNN/COMPLETE`` and writes ``OUT/epoch-NNNN/curriculum.jsonl``,
    epoch after epoch, then exits. Stop it early with ``process.terminate()``."""
    command = [find_binary(binary), "select", "--follow", "--epochs", str(epochs), "--data", os.fspath(data),
               "--method", method, "--workers", str(workers), "--out", os.fspath(out)]
    if budget is not None:
        command += ["--budget", str(budget)]
    if force:
        command.append("--force")
    command += _options(options) + list(extra_args)
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    process.log = log  # type: ignore[attr-defined]
    return process
