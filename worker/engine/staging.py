"""Writing a model directory all at once: into a temp directory beside it, renamed into place at the end.

A crash or an error leaves at most a hidden `.<name>.tmp-*` directory, never a half-written model that
would later load; an earlier directory at the same path is replaced whole, so no stale file survives.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_dir(out: Path) -> Iterator[Path]:
    """Yield a temp directory beside `out`; when the block ends without error it becomes `out`."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        # mkdtemp (0700) and safetensors (0600) make private modes; this is an ordinary model directory.
        os.chmod(tmp, 0o755)
        for f in tmp.iterdir():
            f.chmod(0o644)
        if out.exists():  # a directory cannot be renamed over: move the old one aside first
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.rename(out, old / "x")
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
