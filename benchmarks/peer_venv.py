"""A separate virtual environment for a peer system of a benchmark (LlamaIndex), built once.

    from peer_venv import ensure_venv   # in a script of benchmarks/ (its folder is on sys.path)
    python = ensure_venv(Path(".docent/bench/llamaindex-venv"), Path("benchmarks/llamaindex_requirements.txt"))

or from the shell, printing the environment's python:

    python benchmarks/peer_venv.py .docent/bench/llamaindex-venv benchmarks/llamaindex_requirements.txt

Stdlib only. The CPU build of torch comes from a local wheel folder when the machine has one, else from
PyTorch's CPU index (the same rule as the Makefile's TORCH_SOURCE).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

TORCH_WHEELS = Path("/opt/wheels")
STAMP = ".requirements.sha256"


def _log(message: str) -> None:
    """One progress line on stderr."""
    print(message, file=sys.stderr, flush=True)


def torch_source(wheels: Path = TORCH_WHEELS) -> list[str]:
    """uv options that make torch resolve to its CPU build."""
    if any(wheels.glob("torch-*.whl")):
        return ["--find-links", str(wheels)]
    return ["--extra-index-url", "https://download.pytorch.org/whl/cpu", "--index-strategy", "unsafe-best-match"]


def _uv() -> list[str]:
    """The uv beside the running interpreter, else ``python -m uv``."""
    sibling = Path(sys.executable).with_name("uv")
    if sibling.is_file():
        return [str(sibling)]
    if shutil.which("uv"):
        return ["uv"]
    return [sys.executable, "-m", "uv"]


def _python_of(venv_dir: Path) -> Path:
    """The environment's interpreter."""
    return venv_dir / "bin" / "python"


def nvidia_packages(python: Path) -> list[str]:
    """The installed distributions of the environment whose name mentions nvidia."""
    out = subprocess.run(
        [*_uv(), "pip", "freeze", "--python", str(python)], check=True, capture_output=True, text=True
    ).stdout
    return [line for line in out.splitlines() if "nvidia" in line.lower()]


def ensure_venv(venv_dir: Path, requirements: Path) -> Path:
    """Create ``venv_dir`` (python3.11) and install ``requirements`` into it unless its stamp already
    matches their hash; return the environment's python. Raises RuntimeError when an nvidia (CUDA)
    package got installed or a step fails."""
    venv_dir = venv_dir.resolve()
    requirements = requirements.resolve()
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    python = _python_of(venv_dir)
    stamp = venv_dir / STAMP
    if python.exists() and stamp.is_file() and stamp.read_text().strip() == digest:
        return python

    started = time.perf_counter()
    _log(f"creating the LlamaIndex environment under {venv_dir}, once (a few minutes)")
    if not python.exists():
        interpreter = shutil.which("python3.11")
        if interpreter is None:
            raise RuntimeError("python3.11 was not found on PATH; it is needed to create the peer environment")
        venv_dir.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([interpreter, "-m", "venv", str(venv_dir)], check=True)
    stamp.unlink(missing_ok=True)
    _log(f"installing {requirements.name} with uv")
    result = subprocess.run(
        # Copies, not hard links into uv's cache: nltk (a dependency of llama-index-core) refuses to open
        # multiply-linked data files, e.g. the stopwords that llama-index-core ships.
        [*_uv(), "pip", "sync", "-q", "--link-mode", "copy", "--python", str(python), *torch_source(),
         str(requirements)]
    )
    if result.returncode != 0:
        raise RuntimeError(f"uv could not install {requirements} into {venv_dir} (exit {result.returncode})")
    cuda = nvidia_packages(python)
    if cuda:
        raise RuntimeError(
            f"CUDA packages were installed into {venv_dir} ({', '.join(cuda)}); expected the CPU-only torch. "
            f"Check that torch is pinned to its +cpu build in {requirements}, then delete {venv_dir} and retry."
        )
    stamp.write_text(digest + "\n")
    _log(f"the LlamaIndex environment is ready ({time.perf_counter() - started:.0f} s): {python}")
    return python


def main(argv: list[str] | None = None) -> None:
    """``peer_venv.py VENV_DIR REQUIREMENTS``: build if needed, print the environment's python."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        sys.exit("usage: peer_venv.py VENV_DIR REQUIREMENTS")
    print(ensure_venv(Path(args[0]), Path(args[1])))


if __name__ == "__main__":
    main()
