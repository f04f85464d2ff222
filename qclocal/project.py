"""LEAN CLI workspace conventions: ``lean.json``, project ``config.json``, libraries, and loading ``main.py``."""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ProjectError(ValueError):
    """A workspace or project problem; the message names the file and field."""


def _strip_comments(text: str) -> str:
    # lean.json, as `lean init` writes it, carries // comments
    return re.sub(r'^\s*//.*$|(?<=[,{\[\s])//[^\n"]*$', "", text, flags=re.MULTILINE)


def read_json(path: Path, allow_comments: bool = False) -> dict[str, Any]:
    try:
        text = path.read_text()
        data = json.loads(_strip_comments(text) if allow_comments else text)
    except FileNotFoundError:
        raise ProjectError(f"{path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise ProjectError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{path} must hold a JSON object")
    return data


def find_workspace(start: Path) -> Path | None:
    here = start.absolute()
    for folder in (here, *here.parents):
        if (folder / "lean.json").is_file():
            return folder
    return None


@dataclass
class Project:
    path: Path
    workspace: Path
    config: dict[str, Any]
    lean: dict[str, Any]
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def data_folder(self) -> Path:
        folder = self.lean.get("data-folder", "data")
        if not isinstance(folder, str):
            raise ProjectError(f"{self.workspace / 'lean.json'}: \"data-folder\" must be a string")
        return (self.workspace / folder).resolve()

    @property
    def object_store(self) -> Path:
        return (self.workspace / "storage").resolve()

    @property
    def library_paths(self) -> list[Path]:
        libraries = self.config.get("libraries", [])
        if not isinstance(libraries, list):
            raise ProjectError(f"{self.path / 'config.json'}: \"libraries\" must be a list of {{name, path}}")
        paths = []
        for i, lib in enumerate(libraries):
            if not isinstance(lib, dict) or not isinstance(lib.get("path"), str):
                raise ProjectError(f"{self.path / 'config.json'}: libraries[{i}] needs a string \"path\"")
            paths.append(self.workspace / lib["path"])
        return paths


def load_project(path: Path, overrides: dict[str, str] | None = None) -> Project:
    path = Path(path).absolute()  # not resolve(): a symlinked project belongs to the workspace it is linked into
    if path.is_file():
        path = path.parent
    if not (path / "main.py").is_file():
        raise ProjectError(f"{path} is not a Python LEAN project: it has no main.py")
    workspace = find_workspace(path)
    if workspace is None:
        raise ProjectError(f"no lean.json found in {path} or its parents; run qclocal inside the workspace")
    lean = read_json(workspace / "lean.json", allow_comments=True)
    config = read_json(path / "config.json") if (path / "config.json").is_file() else {}
    raw = config.get("parameters", {})
    if not isinstance(raw, dict):
        raise ProjectError(f"{path / 'config.json'}: \"parameters\" must be an object of name -> value")
    parameters = {str(k): str(v) for k, v in raw.items()}
    unknown = sorted(set(overrides or {}) - set(parameters))
    if unknown:
        raise ProjectError(f"unknown --parameter {', '.join(unknown)}: {path / 'config.json'} defines "
                           f"{', '.join(sorted(parameters)) or 'no parameters'} (add a name to its \"parameters\" "
                           f"to make it one)")
    parameters.update({k: str(v) for k, v in (overrides or {}).items()})
    return Project(path, workspace, config, lean, parameters)


@contextlib.contextmanager
def library_path(project_or_workspace: Project | Path) -> Iterator[None]:
    """Put ``Library/`` and each linked library on ``sys.path``, as the LEAN CLI does inside its container."""
    if isinstance(project_or_workspace, Project):
        extra = [project_or_workspace.workspace / "Library", *project_or_workspace.library_paths]
    else:
        extra = [Path(project_or_workspace) / "Library"]
    added = [str(p) for p in extra if p.is_dir() and str(p) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for p in added:
            if p in sys.path:
                sys.path.remove(p)


def algorithm_class(main_py: Path) -> type:
    """Import ``main.py`` (AlgorithmImports must be installed) and return its QCAlgorithm subclass."""
    from qclocal.engine.algorithm import QCAlgorithm

    name = f"qclocal_project_{abs(hash(str(main_py)))}"
    spec = importlib.util.spec_from_file_location(name, main_py)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    classes = [c for c in vars(module).values() if inspect.isclass(c) and issubclass(c, QCAlgorithm)
               and c is not QCAlgorithm and c.__module__ == name]
    if len(classes) != 1:
        raise ProjectError(f"{main_py} must define exactly one QCAlgorithm subclass, found "
                           f"{[c.__name__ for c in classes] or 'none'}")
    return classes[0]
