"""Worker processes die with their parent: a killed server or Celery worker leaves no training orphan.

On Linux, prctl(PR_SET_PDEATHSIG, SIGKILL) asks the kernel to kill this process when its parent
goes. The signal follows the parent *thread* that forked it; the embedded executor spawns from its
long-lived monitor thread, and Celery's pool from its main thread, so both last as long as the
parent does. Elsewhere this does nothing, and the embedded child still exits when its socket to the
parent closes between runs.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None = None) -> bool:
    """Arm the parent-death signal; exit at once if the parent already died. Returns whether it is armed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    # The parent may have died between our fork and the prctl: then we were re-parented already.
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)
    return True
