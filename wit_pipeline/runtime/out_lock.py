"""One writer per output directory: an advisory lock file ``OUT/_wit.lock`` held while a command runs.

The lock is a POSIX record lock (``lockf``) on the file, so the kernel releases it when its process dies
however it dies: a lock left by a killed run is taken over by the next one without any guessing from
pids. Unlike ``flock``, a record lock is not shared with forked children (DataLoader workers, which
can outlive a SIGKILLed parent by seconds), so it is gone the moment its holder is. The file
records who holds it (pid, host, command, start time) for the one-line message a second run prints.
A lock file deleted or replaced between opening and locking is detected (its inode changed) and the
attempt is repeated, so two runs can never both believe they hold it. The lock is re-entrant within
one process (a command that runs another into the same directory); the file is never opened twice
in this process, since closing any descriptor of it would drop a record lock. Filesystems without lock
support (some network mounts) run unlocked rather than not at all. A directory the lock had to create
is removed again if the command left it empty.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wit_pipeline.errors import WitError

LOCK_FILE = "_wit.lock"
_held: dict[Path, int] = {}  # lock path -> depth, for re-entry in this process


def holder(path: Path) -> str:
    """Who the lock file says holds it, in words."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(info["started"])))
        return f"pid {info['pid']} on {info['host']} ({info.get('command', 'wit')}), started {started}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another wit process"


@contextmanager
def output_lock(out: str | os.PathLike, command: str) -> Iterator[None]:
    """Hold ``out``'s lock for the block; a ``WitError`` naming the holder if another process has it."""
    directory = Path(out)
    path = (directory / LOCK_FILE).resolve()
    if path in _held:
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path, directory)
    if fd is None:
        yield
        return
    record = {"pid": os.getpid(), "host": socket.gethostname(), "command": command, "started": time.time()}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record).encode(), 0)
    _held[path] = 1
    try:
        yield
    finally:
        del _held[path]
        try:
            path.unlink()  # while still locked: a waiting process sees the inode change and retries
        except OSError:
            pass
        os.close(fd)
        if created:
            try:
                directory.rmdir()  # a command that failed before writing anything leaves no empty directory
            except OSError:
                pass


def _acquire(path: Path, directory: Path) -> int | None:
    """An open, locked descriptor of the current lock file; None where the filesystem cannot lock."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise WitError(
                    f"{directory}: in use by {holder(path)}; wait for it to finish, or choose another --out"
                ) from None
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                return None
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder removed it as we opened it: lock the new file instead
