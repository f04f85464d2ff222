"""``qclocal backtest``: run a project and write LEAN-shaped output to ``<project>/backtests/<timestamp>/``."""

from __future__ import annotations

import json
import shutil
import traceback
from datetime import date, datetime
from pathlib import Path

from tqdm import tqdm

from qclocal import outputs
from qclocal.algorithm_imports import installed
from qclocal.data import lean_format
from qclocal.data.provenance import data_notes
from qclocal.engine.results import BacktestResult
from qclocal.engine.runner import run_algorithm
from qclocal.project import Project, algorithm_class, library_path, load_project


def run_project(project: Project, data_folder: Path | None = None, object_store: Path | None = None,
                output: Path | None = None, show_progress: bool = True, echo=print) -> tuple[BacktestResult, Path]:
    """Run ``project`` and write its results folder (``output``, or a new ``<project>/backtests/<time>``).

    Raises OutputError, before running anything, when ``output`` holds files qclocal did not write."""
    data_folder = Path(data_folder or project.data_folder).resolve()
    store = Path(object_store or project.object_store).resolve()
    target = Path(output).absolute() if output else None
    if target is not None:
        outputs.check_target(target)
    parent = target.parent if target is not None else project.path / "backtests"
    staging = outputs.stage(parent)
    for leftover in outputs.clean_stale(parent):
        echo(f"Removed {leftover}: the unfinished results of a backtest that was stopped")
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
        for line in data_notes(data_folder):
            sink(line)
            echo(line)
        with installed(), library_path(project):
            try:
                cls = algorithm_class(project.path / "main.py")
                algorithm = cls()
            except Exception as exc:
                trace = "".join(traceback.format_exception(exc))
                sink(f"Runtime Error: could not load {project.path / 'main.py'}\n{trace}")
                result = BacktestResult("RuntimeError", {}, {}, {}, [], [], [trace], trace)
            else:
                result = run_algorithm(algorithm, data_folder, store, project.parameters, progress, sink)
                if result.status == "Completed" and not any(s.has_data for s in algorithm.securities.values()):
                    result.status, result.statistics = "RuntimeError", {}
                    result.error = no_data_message(algorithm, data_folder)
                    sink(f"Runtime Error: {result.error}")
    except BaseException:
        log_file.close()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        bar.close()
        log_file.close()
    algo_id = project.path.name
    (staging / f"{algo_id}.json").write_text(json.dumps(result.to_json(), indent=1, default=str))
    (staging / f"{algo_id}-order-events.json").write_text(json.dumps(result.order_events, indent=1, default=str))
    stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    return result, outputs.publish(staging, "qclocal backtest", target, parent, stamp)


def no_data_message(algorithm, data_folder: Path) -> str:
    """Why a run saw no data: its date range, and the dates each of its securities' files cover."""
    start, end = algorithm.start_date, algorithm.end_date
    found = []
    for symbol, security in algorithm.securities.items():
        sub = security.subscriptions[0]
        path = lean_format.bar_file(data_folder, sub.kind, sub.ticker, sub.resolution.folder)
        try:
            bars = lean_format.read_bars(data_folder, sub.kind, sub.ticker, sub.resolution.folder,
                                         date(1900, 1, 1), date(2100, 1, 1))
            span = f"{bars.index[0]:%Y-%m-%d}..{bars.index[-1]:%Y-%m-%d}" if len(bars) else "no rows"
        except Exception as exc:  # noqa: BLE001 - the message reports what it can read
            span = f"unreadable ({exc})"
        found.append(f"{symbol} in {path}: {span}")
    return (f"no data between the start {start:%Y-%m-%d} and the end {end:%Y-%m-%d}; data found: "
            + ("; ".join(found) or "none (the algorithm added no securities)")
            + ". Change set_start_date/set_end_date, or import or generate data for that range.")


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
