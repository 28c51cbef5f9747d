"""A testing hook: stop the process at a named point, to prove that a rerun resumes from there.

The runtime and the stages call ``fault_point(*parts)`` at the moments worth interrupting (a
task's output written but not yet renamed, a part moved into place, a sample of a shard written...).
The point's name is its parts joined by ``:``, e.g. ``task:download:00001:filled`` or
``sample:download:00000:5``. Nothing happens unless the environment names a point:

``WIT_FAULT``
    an ``fnmatch`` pattern of point names (``sample:download:00001:*``), or several separated by
    commas; unset in normal use, and then a call costs one dictionary lookup.
``WIT_FAULT_ACTION``
    ``kill`` (SIGKILL this process, the default), ``int`` (SIGINT this process: a Ctrl-C),
    ``kill-group`` or ``int-group`` (the whole process group: the client, scheduler and workers).
``WIT_FAULT_ONCE``
    a path: each pattern fires only for the process that first creates ``PATH.N`` (N: the
    pattern's position), so a task that a killed dask worker had started does not kill its
    replacement too.

This is for tests and fault drills only (see RELIABILITY.md); it never changes what is written.
"""

from __future__ import annotations

import os
import signal
import time
from fnmatch import fnmatchcase

FAULT_ENV = "WIT_FAULT"
ACTION_ENV = "WIT_FAULT_ACTION"
ONCE_ENV = "WIT_FAULT_ONCE"
ACTIONS = {
    "kill": (signal.SIGKILL, False),
    "int": (signal.SIGINT, False),
    "kill-group": (signal.SIGKILL, True),
    "int-group": (signal.SIGINT, True),
}


def fault_point(*parts: object) -> None:
    """Interrupt the process here if ``WIT_FAULT`` matches this point's name; else do nothing."""
    pattern = os.environ.get(FAULT_ENV)
    if not pattern:
        return
    name = ":".join(str(p) for p in parts)
    matched = next((i for i, p in enumerate(pattern.split(",")) if fnmatchcase(name, p)), None)
    if matched is None or not _first_to_fire(matched):
        return
    sig, group = ACTIONS[os.environ.get(ACTION_ENV, "kill")]
    if group:
        os.killpg(os.getpgrp(), sig)
    else:
        os.kill(os.getpid(), sig)
    if sig == signal.SIGKILL:  # delivery is asynchronous: never run on past the point
        time.sleep(60)


def _first_to_fire(pattern_index: int) -> bool:
    once = os.environ.get(ONCE_ENV)
    if not once:
        return True
    try:
        os.close(os.open(f"{once}.{pattern_index}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True
