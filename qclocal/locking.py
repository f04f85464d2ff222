"""One writer at a time per data folder or ObjectStore: a ``filelock`` lock file, with a message while waiting."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

ENV_TIMEOUT = "QCLOCAL_LOCK_TIMEOUT"  # seconds a writer waits for another before failing (default 1800)


class LockTimeout(RuntimeError):
    pass


@contextlib.contextmanager
def exclusive(lock: FileLock, what: str, echo: Callable[[str], None] | None = print) -> Iterator[None]:
    """Hold ``lock`` while writing ``what``; another process holding it makes this one wait, and say so."""
    try:
        lock.acquire(timeout=0)
    except Timeout:
        timeout = float(os.environ.get(ENV_TIMEOUT, "1800"))
        if echo is not None:
            echo(f"Waiting for another qclocal process that is writing {what} (lock {lock.lock_file}) ...")
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise LockTimeout(f"{what} is still being written by another qclocal process after {timeout:g}s "
                              f"(lock {lock.lock_file}); nothing was changed. Rerun when it has finished.") from None
    try:
        yield
    finally:
        lock.release()


def folder_lock(path: Path) -> FileLock:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path))
