"""Research: ``QuantBook`` over the workspace's data and ObjectStore, and headless notebook execution.

``qclocal research <notebook>`` runs a notebook with nbclient in a fresh kernel. A setup cell (not saved
in the notebook) installs ``AlgorithmImports`` with ``QuantBook`` and puts ``Library/`` on the path; a
parameters cell assigns each ``--parameter`` after the cell tagged ``parameters`` (papermill's convention).
"""

from __future__ import annotations

import ast
import json
import keyword
import os
from datetime import datetime
from pathlib import Path

from qclocal import outputs
from qclocal.engine.algorithm import QCAlgorithm
from qclocal.engine.lean_api import lean_type
from qclocal.object_store import ObjectStore
from qclocal.project import find_workspace, read_json

ENV_DATA = "QCLOCAL_DATA_FOLDER"
ENV_STORE = "QCLOCAL_OBJECT_STORE"


@lean_type("QuantConnect.Research.QuantBook")
class QuantBook(QCAlgorithm):
    """LEAN's research API: add securities, request history, use the ObjectStore, outside a backtest.

    History requests are not capped at the algorithm clock; the clock is set to the end of available data
    (today by default), as in LEAN research.
    """

    _research = True

    def __init__(self, data_folder: str | Path | None = None, object_store: str | Path | None = None) -> None:
        super().__init__()
        workspace = find_workspace(Path.cwd())
        if data_folder is None:
            data_folder = os.environ.get(ENV_DATA)
        if data_folder is None and workspace is not None:
            lean = read_json(workspace / "lean.json", allow_comments=True)
            data_folder = workspace / lean.get("data-folder", "data")
        if object_store is None:
            object_store = os.environ.get(ENV_STORE) or ((workspace or Path.cwd()) / "storage")
        self._data_folder = Path(data_folder or "data").resolve()
        self.object_store = ObjectStore(object_store)
        self._initializing = False
        self._clock.time = datetime.now().replace(microsecond=0)


def _setup_source(workspace: Path, data_folder: Path, store: Path) -> str:
    return "\n".join([
        "import os, sys",
        f"os.environ[{ENV_DATA!r}] = {str(data_folder)!r}",
        f"os.environ[{ENV_STORE!r}] = {str(store)!r}",
        f"os.chdir({str(workspace)!r})",
        f"sys.path[:0] = [p for p in [{str(workspace / 'Library')!r}] if p not in sys.path]",
        "from qclocal.algorithm_imports import build as _qclocal_build",
        "from qclocal.research import QuantBook as _QuantBook",
        "_m = _qclocal_build(); _m.QuantBook = _QuantBook; _m.__all__ = [*_m.__all__, 'QuantBook']",
        "sys.modules['AlgorithmImports'] = _m",
        "os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')",
    ])


class NotebookFailed(RuntimeError):
    pass


def run_notebook(notebook: Path, parameters: dict[str, str] | None = None, output: Path | None = None,
                 data_folder: Path | None = None, object_store: Path | None = None, timeout: int = 3600,
                 echo=print) -> Path:
    """Execute ``notebook`` headless; return the folder holding the executed copy. Raises NotebookFailed when a
    cell fails, ValueError (OutputError among them) before running when the parameters or output are wrong."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = Path(notebook).absolute()
    if not notebook.is_file():
        raise FileNotFoundError(f"{notebook} does not exist")
    workspace = find_workspace(notebook.parent) or notebook.parent
    lean = read_json(workspace / "lean.json", allow_comments=True) if (workspace / "lean.json").is_file() else {}
    data_folder = Path(data_folder or workspace / lean.get("data-folder", "data")).resolve()
    store = Path(object_store or workspace / "storage").resolve()
    target = Path(output).absolute() if output else None
    if target is not None:
        outputs.check_target(target)
    parent = target.parent if target is not None else notebook.parent / "runs"

    nb = nbformat.read(notebook, as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if parameters:
        _check_parameters(notebook, nb.cells[tagged[0]] if tagged else None, parameters)
    setup = nbformat.v4.new_code_cell(_setup_source(workspace, data_folder, store))
    setup.metadata["tags"] = ["qclocal-setup"]
    nb.cells = [setup, *nb.cells]
    if tagged:
        nb.cells.insert(tagged[0] + 2, _parameters_cell(parameters or {}))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(notebook.parent)}})
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    position = {i: n for n, i in enumerate(j for j, c in enumerate(nb.cells) if c.get("metadata", {}).get("tags")
                                                 not in (["qclocal-setup"], ["injected-parameters"]))}
    echo(f"Running {notebook.name}: {len(code_cells)} code cells")
    staging = outputs.stage(parent)
    for leftover in outputs.clean_stale(parent):
        echo(f"Removed {leftover}: the unfinished output of a notebook run that was stopped")
    failure: str | None = None
    try:
        with client.setup_kernel():
            for n, index in enumerate(code_cells, 1):
                cell = nb.cells[index]
                first = (cell.source.strip().splitlines() or [""])[0][:70]
                echo(f"  [{n}/{len(code_cells)}] {first}")
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError as exc:
                    failure = (f"{notebook.name}: cell {position.get(index, index) + 1} failed (\"{first}\"):\n"
                               f"{str(exc).strip()[-3000:]}")
                    break
    finally:
        nb.cells = [c for c in nb.cells if "qclocal-setup" not in c.get("metadata", {}).get("tags", [])]
        nbformat.write(nb, staging / notebook.name)
        (staging / "parameters.json").write_text(json.dumps(parameters or {}, indent=1))
        stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
        output = outputs.publish(staging, "qclocal research", target, parent, f"{notebook.stem}-{stamp}")
    if failure:
        raise NotebookFailed(failure + f"\nExecuted notebook: {output / notebook.name}")
    return output


def _check_parameters(notebook: Path, cell, parameters: dict[str, str]) -> None:
    """``--parameter`` names must be variables the notebook's ``parameters`` cell assigns."""
    if cell is None:
        raise ValueError(f"{notebook.name} has no cell tagged `parameters`, so --parameter "
                         f"{', '.join(parameters)} would change nothing; tag the cell that sets its parameters")
    for name in parameters:
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"--parameter {name!r}: a notebook parameter must be a Python variable name")
    known: set[str] = set()
    try:
        tree = ast.parse(cell.source)
    except SyntaxError as exc:
        raise ValueError(f"{notebook.name}: the parameters cell does not parse ({exc.msg})") from None
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign | ast.AugAssign) else []
        known |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ValueError(f"unknown --parameter {', '.join(unknown)}: the parameters cell of {notebook.name} sets "
                         f"{', '.join(sorted(known)) or 'nothing'}")


def _parameters_cell(parameters: dict[str, str]):
    import nbformat

    lines = ["# Parameters injected by qclocal research"]
    for name, value in parameters.items():
        lines.append(f"{name} = {_literal(value)}")
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    return cell


def _literal(value: str) -> str:
    for cast in (int, float):
        try:
            cast(value)
            return value
        except ValueError:
            pass
    if value in ("True", "False", "None"):
        return value
    return repr(value)

