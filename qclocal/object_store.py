"""LEAN's LocalObjectStore over a folder (the workspace's ``storage/``).

Keys map to relative paths under the root. ``get_file_path(key)`` hands out the real path so a library
can write a file there and then call ``save(key)``, LEAN's documented pattern for binary models.
Writers of one store take turns: ``lock()`` (a ``filelock`` file in the root) is held by every save and delete,
and ``models.store.save_model`` holds it for a whole model, so parallel notebooks never interleave a save.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock

from qclocal.engine.lean_api import lean_type
from qclocal.locking import exclusive

LOCK_FILE = ".qclocal.lock"
_LOCKS: dict[Path, FileLock] = {}  # one per store root in this process, so nested holds are re-entrant


@lean_type("QuantConnect.Storage.ObjectStore")
class ObjectStore:
    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).resolve()

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the store's writer lock (re-entrant within this process)."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = _LOCKS.setdefault(self.root, FileLock(str(self.root / LOCK_FILE)))
        with exclusive(lock, f"the ObjectStore {self.root}"):
            yield

    def _path(self, key: str) -> Path:
        if not isinstance(key, str) or not key or key.startswith("/") or ".." in Path(key).parts:
            raise ValueError(f"ObjectStore: invalid key {key!r}; keys are relative paths such as 'strategy/model.keras'")
        return self.root / key

    # -- queries -------------------------------------------------------------------------------------
    def contains_key(self, key: str) -> bool:
        return self._path(key).is_file()

    @property
    def keys(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()
                      and not p.name.startswith(".tmp-") and p.name != LOCK_FILE)

    def get_file_path(self, key: str) -> str:
        """The path behind ``key``; its folder is created so a library can write there directly."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        return str(path)

    # -- reads ---------------------------------------------------------------------------------------
    def read_bytes(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise KeyError(f"ObjectStore: no key {key!r} in {self.root}")
        return path.read_bytes()

    def read(self, key: str) -> str:
        return self.read_bytes(key).decode("utf-8")

    read_string = read

    # -- writes (atomic: temporary file, then rename) ------------------------------------------------
    def save_bytes(self, key: str, data: bytes) -> bool:
        path = self._path(key)
        with self.lock():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(bytes(data))
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return True

    def save_string(self, key: str, text: str) -> bool:
        return self.save_bytes(key, text.encode("utf-8"))

    def save(self, key: str, value: str | bytes | None = None) -> bool:
        """``save(key)`` persists a file written at ``get_file_path(key)``; ``save(key, value)`` stores a value."""
        if value is None:
            if not self._path(key).is_file():
                raise FileNotFoundError(f"ObjectStore.save({key!r}): nothing was written at get_file_path({key!r})")
            return True
        return self.save_bytes(key, value) if isinstance(value, bytes | bytearray) else self.save_string(key, str(value))

    def delete(self, key: str) -> bool:
        path = self._path(key)
        with self.lock():
            if not path.is_file():
                return False
            path.unlink()
        return True
