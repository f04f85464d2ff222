"""qclocal's cache of what it can rebuild (session tables, the stubs' member lists): never a user's data.

``$QCLOCAL_CACHE``, else ``$XDG_CACHE_HOME/qclocal``. A file is written to a temporary name and renamed into
place, so parallel runs never read half a file; a cache that cannot be written is simply not kept.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def cache_folder() -> Path:
    """Where qclocal keeps what it can rebuild: ``$QCLOCAL_CACHE``, else ``$XDG_CACHE_HOME/qclocal``."""
    if os.environ.get("QCLOCAL_CACHE"):
        return Path(os.environ["QCLOCAL_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "qclocal"


def write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """``write(file)`` into a temporary file beside ``path``, then rename it into place; on OSError, keep nothing."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix,
                                         delete=False) as fh:
            try:
                write(fh)
            except BaseException:
                fh.close()
                os.unlink(fh.name)
                raise
        os.replace(fh.name, path)
    except OSError:
        pass
