"""Where each file of a data folder came from, and one writer at a time.

``<data-folder>/qclocal/provenance.json`` maps every file qclocal wrote (relative path) to its origin:
``imported:<source file>`` or ``synthetic:<scenario>``. A writer (``qclocal data import`` / ``generate``) runs
inside :func:`writing`, which

- holds ``<data-folder>/qclocal/.lock`` (``filelock``) so a second writer waits, saying so;
- refuses, before writing anything, a folder holding files qclocal has no record of (LEAN's own data, another
  tool's, or a qclocal folder from before records were kept), unless ``force``;
- refuses to mix synthetic with imported data unless ``allow_mixed``; when mixing replaces imported files, their
  tickers leave the import manifest, so it stays true;
- removes temporary files a killed writer left behind, and records every file written through
  ``qclocal.data.writers``.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qclocal.locking import exclusive, folder_lock

RECORD = Path("qclocal") / "provenance.json"
LOCK = Path("qclocal") / ".lock"
KINDS = ("imported", "synthetic")
_UNTRACKED = ("qclocal", "synthetic")  # qclocal's own bookkeeping folders


class DataSafetyError(ValueError):
    """Writing would replace or mix data it must not; nothing was changed."""


def read_record(data_folder: Path) -> dict[str, str]:
    path = Path(data_folder) / RECORD
    if not path.is_file():
        return {}
    try:
        files = json.loads(path.read_text()).get("files")
    except (ValueError, AttributeError):
        files = None
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise DataSafetyError(f"{path} is not a provenance record ({{\"files\": {{path: origin}}}}); restore it, "
                              f"or write to a new --data-folder")
    return files


def _kind(origin: str) -> str:
    return origin.split(":", 1)[0]


def _summary(record: dict[str, str], kind: str) -> str:
    origins = sorted({o.split(":", 1)[1] for o in record.values() if _kind(o) == kind})
    count = sum(_kind(o) == kind for o in record.values())
    return f"{count} {kind} files ({', '.join(origins[:4])}{' ...' if len(origins) > 4 else ''})"


def data_notes(data_folder: Path) -> list[str]:
    """Lines a backtest logs about its data folder: that it mixes imported and synthetic data, and which."""
    try:
        record = read_record(data_folder)
    except DataSafetyError as exc:
        return [f"Data folder: {exc}"]
    kinds = {_kind(o) for o in record.values()}
    if set(KINDS) <= kinds:
        return [f"Data folder {data_folder} mixes imported and synthetic data: {_summary(record, 'imported')}; "
                f"{_summary(record, 'synthetic')}. See {Path(data_folder) / RECORD}."]
    return []


def _foreign(folder: Path, record: dict[str, str]) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder).as_posix()
        if rel.split("/", 1)[0] in _UNTRACKED or path.is_dir() or rel in record:
            continue
        if path.name.startswith(".") and path.name.endswith(".tmp"):
            continue
        found.append(rel)
    return sorted(found)


@dataclass
class Session:
    folder: Path
    origin: str
    record: dict[str, str]
    written: set[str] = field(default_factory=set)

    def wrote(self, path: Path) -> None:
        try:
            rel = Path(path).resolve().relative_to(self.folder).as_posix()
        except ValueError:
            return
        if rel.split("/", 1)[0] not in _UNTRACKED:
            self.written.add(rel)


_ACTIVE: contextvars.ContextVar[Session | None] = contextvars.ContextVar("qclocal_data_session", default=None)


def note_write(path: Path) -> None:
    """Called by ``qclocal.data.writers`` for each file it writes."""
    session = _ACTIVE.get()
    if session is not None:
        session.wrote(path)


@contextlib.contextmanager
def writing(data_folder: Path | str, origin: str, *, allow_mixed: bool = False, force: bool = False,
            echo: Callable[[str], None] | None = print) -> Iterator[Session]:
    """Lock ``data_folder`` and check it may take data of ``origin`` (see the module docstring); on success
    the files written inside are recorded with ``origin``."""
    folder = Path(data_folder).resolve()
    if folder.exists() and not folder.is_dir():
        raise DataSafetyError(f"--data-folder {folder} is a file, not a folder")
    with exclusive(folder_lock(folder / LOCK), f"the data folder {folder}", echo):
        record = read_record(folder)
        kind = _kind(origin)
        others = {_kind(o) for o in record.values()} - {kind}
        if others and not allow_mixed:
            other = sorted(others)[0]
            raise DataSafetyError(
                f"{folder} holds {_summary(record, other)}; writing {kind} data there would mix the two, so "
                f"nothing was changed. Use another --data-folder, or pass --allow-mixed to mix them (backtests "
                f"then say so in their log).")
        foreign = _foreign(folder, record) if folder.is_dir() else []
        if foreign and not force:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise DataSafetyError(
                f"{folder} holds {len(foreign)} files qclocal has no record of ({shown}): LEAN's or another "
                f"tool's data, or written before qclocal kept {RECORD}. Nothing was changed. Use a new "
                f"--data-folder, or pass --force to write there anyway (files of the same name are replaced).")
        for leftover in folder.rglob(".*.tmp") if folder.is_dir() else []:
            leftover.unlink(missing_ok=True)  # a killed writer's temporary file; no writer is running now
        session = Session(folder, origin, record)
        token = _ACTIVE.set(session)
        try:
            yield session
        finally:
            _ACTIVE.reset(token)
            _save(folder, record, session)


def _save(folder: Path, record: dict[str, str], session: Session) -> None:
    from qclocal.data import importer, writers

    replaced = {rel for rel in session.written if _kind(record.get(rel, session.origin)) != _kind(session.origin)}
    record.update({rel: session.origin for rel in session.written})
    text = json.dumps({"files": dict(sorted(record.items()))}, indent=0) + "\n"
    writers.atomic_write_text(folder / RECORD, text)
    if replaced and _kind(session.origin) == "synthetic":
        importer.forget_replaced(folder, replaced)
