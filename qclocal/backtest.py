"""``qclocal backtest``: run a project and write LEAN-shaped output to ``<project>/backtests/<timestamp>/``."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from qclocal.algorithm_imports import installed
from qclocal.engine.results import BacktestResult
from qclocal.engine.runner import run_algorithm
from qclocal.project import Project, algorithm_class, library_path, load_project


def run_project(project: Project, data_folder: Path | None = None, object_store: Path | None = None,
                output: Path | None = None, show_progress: bool = True, echo=print) -> tuple[BacktestResult, Path]:
    data_folder = Path(data_folder or project.data_folder).resolve()
    store = Path(object_store or project.object_store).resolve()
    stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    output = Path(output or project.path / "backtests" / stamp).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}-", dir=output.parent))
    log_file = (staging / "log.txt").open("w")
    bar = tqdm(total=1000, desc=project.path.name, unit="‰", disable=not show_progress, leave=False,
               mininterval=1.0, bar_format="{desc}: {percentage:3.0f}% |{bar:20}| {elapsed}<{remaining}")

    def progress(fraction: float) -> None:
        n = int(fraction * 1000)
        if n > bar.n:
            bar.update(n - bar.n)

    def sink(line: str) -> None:
        log_file.write(line + "\n")

    try:
        with installed(), library_path(project):
            try:
                cls = algorithm_class(project.path / "main.py")
                algorithm = cls()
            except Exception as exc:
                import traceback

                from qclocal.engine.results import BacktestResult as _R
                trace = "".join(traceback.format_exception(exc))
                sink(f"Runtime Error: could not load {project.path / 'main.py'}\n{trace}")
                result = _R("RuntimeError", {}, {}, {}, [], [], [trace], trace)
            else:
                result = run_algorithm(algorithm, data_folder, store, project.parameters, progress, sink)
    finally:
        bar.close()
        log_file.close()
    algo_id = project.path.name
    (staging / f"{algo_id}.json").write_text(json.dumps(result.to_json(), indent=1, default=str))
    (staging / f"{algo_id}-order-events.json").write_text(json.dumps(result.order_events, indent=1, default=str))
    if output.exists():
        shutil.rmtree(output)
    os.replace(staging, output)
    return result, output


def format_statistics(stats: dict[str, str]) -> str:
    items = list(stats.items())
    half = (len(items) + 1) // 2
    width = max((len(k) for k in stats), default=10) + 2
    vwidth = max((len(v) for v in stats.values()), default=5) + 2
    lines = []
    for i in range(half):
        left = items[i]
        right = items[i + half] if i + half < len(items) else ("", "")
        lines.append(f"| {left[0]:<{width}}{left[1]:>{vwidth}} | {right[0]:<{width}}{right[1]:>{vwidth}} |")
    rule = "+" + "-" * (len(lines[0]) - 2) + "+" if lines else ""
    return "\n".join([rule, *lines, rule])


def backtest(project_dir: Path, parameters: dict[str, str] | None = None, **kwargs) -> tuple[BacktestResult, Path]:
    return run_project(load_project(project_dir, parameters), **kwargs)
