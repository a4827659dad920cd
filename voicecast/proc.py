"""Linux process plumbing for the dev supervisor: process groups, /proc, prctl(2)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def signal_group(pid: int, sig: int) -> None:
    """Signal a child's whole process group (it leads one, having started its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def child_pids(parent: int | None = None) -> list[int]:
    """Pids of the children of `parent` (default: this process), zombies included, read from
    /proc ([] without it)."""
    me, pids = parent or os.getpid(), []
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # exited meanwhile
            # The ppid is the 2nd field after "(comm)"; comm may contain spaces and parentheses.
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == me:
                pids.append(int(entry.name))
    return pids


def load_prctl() -> Callable[..., int] | None:
    """libc prctl(2) on Linux, None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, *[ctypes.c_ulong] * 4]
    prctl.restype = ctypes.c_int
    return prctl


def parent_death_signal_setter(prctl: Callable[..., int] | None) -> Callable[[], None] | None:
    """A function for a new child to run (a preexec_fn, or an after-fork hook) making the
    kernel SIGTERM it when this process, its parent, dies."""
    if prctl is None:
        return None
    supervisor, sigterm = os.getpid(), int(signal.SIGTERM)

    def set_parent_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, sigterm, 0, 0, 0)
        if os.getppid() != supervisor:  # the supervisor died before prctl: nobody will signal
            os._exit(1)

    return set_parent_death_signal
