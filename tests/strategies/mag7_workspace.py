"""Helpers for the mag7_lstm end-to-end tests: a throwaway LEAN workspace, backtests, and the algorithm's log.

The workspace copies the project's files (algorithm, config, notebook) and links ``Library/``, so the tests run
exactly what is committed, while data, the ObjectStore and backtest output stay in a temporary folder.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PROJECT = "mag7_lstm"


def make_workspace(root: Path, data: Path) -> Path:
    """``root`` as a LEAN workspace: lean.json, Library -> the repository's, the mag7_lstm project and notebook,
    and ``data`` linked as its data folder."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "lean.json").write_text(json.dumps({"data-folder": "data"}))
    (root / "Library").symlink_to(REPO / "Library", target_is_directory=True)
    (root / "data").symlink_to(data, target_is_directory=True)
    project = root / "algorithms" / PROJECT
    project.mkdir(parents=True)
    for name in ("main.py", "config.json"):
        shutil.copy(REPO / "algorithms" / PROJECT / name, project / name)
    (root / "research").mkdir()
    for name in (f"{PROJECT}.ipynb", "config.json"):
        shutil.copy(REPO / "research" / name, root / "research" / name)
    return root


def run_backtest(workspace: Path, store: Path, name: str, **parameters: Any):
    """Backtest the workspace's mag7_lstm project with ``parameters``; returns qclocal's BacktestResult."""
    from qclocal.backtest import backtest

    result, _ = backtest(workspace / "algorithms" / PROJECT, {k.replace("_", "-"): str(v) for k, v in
                                                            parameters.items()},
                         object_store=store, output=workspace / "backtests" / name, show_progress=False,
                         echo=lambda *_: None)
    return result


def run_research(workspace: Path, store: Path, **parameters: Any) -> Path:
    from qclocal.research import run_notebook

    return run_notebook(workspace / "research" / f"{PROJECT}.ipynb", {k: str(v) for k, v in parameters.items()},
                        output=workspace / "runs" / "research", object_store=store, echo=lambda *_: None)


@dataclass
class Rebalance:
    day: date
    signal: str
    cutoff: date | None
    scores: dict[str, float]
    targets: dict[str, float]


_LINE = re.compile(r"REBALANCE (?P<day>\d{4}-\d{2}-\d{2}) signal=(?P<signal>\w+) "
                   r"(?:model cutoff (?P<cutoff>\d{4}-\d{2}-\d{2})|12-1 momentum) "
                   r"scores=(?P<scores>\{.*?\}) targets=(?P<targets>\{.*?\})$")


def rebalances(result) -> list[Rebalance]:
    """The algorithm's REBALANCE log lines, parsed."""
    out = []
    for line in result.logs:
        match = _LINE.search(line)
        if match:
            cutoff = match["cutoff"]
            out.append(Rebalance(date.fromisoformat(match["day"]), match["signal"],
                                 date.fromisoformat(cutoff) if cutoff else None,
                                 ast.literal_eval(match["scores"]), ast.literal_eval(match["targets"])))
    return out
