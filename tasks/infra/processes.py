"""Is a process still running? (A writer that died leaves partial files; a stack's service may
have exited.)"""

from __future__ import annotations

import os
from pathlib import Path


def alive(pid: int) -> bool:
    """Whether process `pid` runs: this one does; a zombie (exited, not yet reaped by its parent)
    does not; one of another user's does (it exists, we may not signal it)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:  # no /proc (not Linux): it exists
        return True
