"""Result folders of backtests, notebooks and reports: written whole, never over files qclocal did not write.

A run writes into a hidden staging folder beside its target (named with its process id), then renames it into
place. Each result folder carries ``.qclocal-output.json`` listing the files qclocal wrote there. So:

- a default folder (``backtests/<time>``) gets a ``-2``, ``-3`` ... suffix when another run took the name, even one
  started in the same second (the rename is atomic and fails on a non-empty folder);
- an explicit ``--output DIR`` is used when it is absent or empty, or replaced when everything in it is listed
  in its marker (an earlier qclocal result); anything else in it refuses the run before it starts;
- staging folders of killed runs (their process is gone) are removed by the next run in the same folder.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

MARKER = ".qclocal-output.json"
STAGING = ".qclocal-staging-"


class OutputError(ValueError):
    """An output folder qclocal must not or cannot write; the message says what to do instead."""


def _listing(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}


def written_files(folder: Path) -> set[str]:
    """The files qclocal recorded in ``folder``'s marker (empty when there is none or it is unreadable)."""
    try:
        files = json.loads((folder / MARKER).read_text()).get("files", [])
    except (OSError, ValueError, AttributeError):
        return set()
    return {str(f) for f in files} if isinstance(files, list) else set()


def check_target(folder: Path, option: str = "--output") -> None:
    """Refuse ``folder`` when it is a file or holds anything qclocal did not write there."""
    folder = Path(folder)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise OutputError(f"{option} {folder} is not a folder; choose a new folder for the results")
    if not folder.is_dir():
        return
    foreign = sorted(_listing(folder) - written_files(folder) - {MARKER})
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise OutputError(f"{option} {folder} holds files qclocal did not write ({shown}); nothing was changed. "
                          f"Choose a new or empty folder for the results.")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(parent: Path) -> list[Path]:
    """Remove staging folders in ``parent`` left by runs whose process is gone; returns what was removed."""
    removed = []
    for path in sorted(Path(parent).glob(f"{STAGING}*")):
        pid = path.name[len(STAGING):].split("-", 1)[0]
        if path.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def stage(parent: Path, option: str = "--output") -> Path:
    """A new staging folder in ``parent`` (created), named for this process."""
    try:
        Path(parent).mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write the results in {parent} ({exc.strerror}); pass {option} with a "
                          f"folder you can write to") from None


def record(folder: Path, files: Iterable[str], command: str) -> None:
    """Add ``files`` (relative to ``folder``) to its marker as written by ``command``."""
    marker = folder / MARKER
    try:
        body = json.loads(marker.read_text())
    except (OSError, ValueError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    body.setdefault("written_by", command)
    body["files"] = sorted(written_files(folder) | set(files))
    marker.write_text(json.dumps(body, indent=1) + "\n")


def publish(staging: Path, command: str, target: Path | None = None, parent: Path | None = None,
            stem: str = "") -> Path:
    """Move ``staging`` into place: at ``target`` (checked again, replaced only when all of it is qclocal's),
    or at the first free ``parent/stem``, ``parent/stem-2``, ... Returns the final folder."""
    record(staging, _listing(staging) - {MARKER}, command)
    if target is not None:
        check_target(target)
        old = None
        if target.is_dir() and any(target.iterdir()):
            old = Path(tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-old-", dir=target.parent))
            os.replace(target, old / "previous")
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old)
        return target
    assert parent is not None and stem
    for n in range(1, 10_000):
        candidate = parent / (stem if n == 1 else f"{stem}-{n}")
        try:
            os.rename(staging, candidate)
            return candidate
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
                raise
    raise OutputError(f"no free result folder named {stem}-N in {parent}")
