"""``qclocal models list [STRATEGY]``: the model timelines saved in the workspace's ObjectStore."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from models.store import library_versions, list_timelines, train_command

from qclocal.object_store import ObjectStore

_SHORT = {
    "python": "py",
    "tensorflow": "tf",
    "keras": "keras",
    "scikit-learn": "skl",
    "numpy": "np",
    "pandas": "pd",
    "joblib": "joblib",
}
_MAX_METRICS = 6


def workspace_storage(start: Path | None = None) -> Path:
    """``storage/`` beside the nearest ``lean.json`` at or above ``start`` (default: the current folder)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "lean.json").is_file():
            return folder / "storage"
    raise click.UsageError(
        f"no lean.json in {here} or its parents: run inside the workspace, or pass --object-store DIR"
    )


def _window(value: Any) -> str:
    return f"{value[0]}..{value[1]}" if isinstance(value, list) and len(value) == 2 else "-"


def _metrics(metrics: Any) -> str:
    if not isinstance(metrics, dict):
        return "malformed (see --json)"
    shown = []
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float | type(None)):
            continue  # nested or text metrics: see --json
        shown.append(f"{name}={'-' if value is None else format(value, '.4g')}")
    more = len(shown) - _MAX_METRICS
    return " ".join(shown[:_MAX_METRICS]) + (f" (+{more})" if more > 0 else "") if shown else "-"


def _versions(versions: Any, running: dict) -> str:
    if not isinstance(versions, dict):
        return "malformed (see --json)"
    parts = []
    for library, short in _SHORT.items():
        version = versions.get(library)
        if version is None:
            continue
        now = running.get(library)
        differs = (
            (now or "").split(".")[:2] != version.split(".")[:2] if library == "python" else now != version
        )
        parts.append(f"{short}{version}{'!' if differs else ''}")
    return " ".join(parts) or "-"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def render(timelines: list[dict]) -> str:
    running = library_versions()
    lines: list[str] = []
    for timeline in timelines:
        count = len(timeline["models"])
        lines.append(
            f"{timeline['strategy']}  ({count} model{'s' if count != 1 else ''}; "
            f"train: {timeline['train_command']})"
        )
        if timeline["models"]:
            rows = [["cutoff", "train", "validation", "status", "metrics", "versions (! differs from here)"]]
            for model in timeline["models"]:
                rows.append(
                    [
                        model["cutoff"],
                        _window(model.get("train_window")),
                        _window(model.get("validation_window")),
                        model["status"],
                        _metrics(model.get("metrics") or {}),
                        _versions(model.get("versions") or {}, running),
                    ]
                )
            lines += _table(rows)
        if timeline["incomplete"]:
            lines.append(
                f"  incomplete saves (no manifest.json, ignored): {', '.join(timeline['incomplete'])}"
            )
        lines.append("")
    return "\n".join(lines).rstrip()


@click.group("models")
def models() -> None:
    """Model timelines in the ObjectStore (storage/)."""


@models.command("list")
@click.argument("strategy", required=False)
@click.option(
    "--object-store",
    "object_store",
    type=click.Path(file_okay=False, path_type=Path),
    help="ObjectStore folder [default: storage/ beside the workspace's lean.json]",
)
@click.option("--verify", is_flag=True, help="Check every artifact's sha256 against its manifest.")
@click.option("--json", "as_json", is_flag=True, help="Print the listing as JSON.")
def list_command(strategy: str | None, object_store: Path | None, verify: bool, as_json: bool) -> None:
    """Show each timeline: cutoffs, train/validation windows, validation metrics, library versions."""
    root = object_store if object_store is not None else workspace_storage()
    timelines = list_timelines(ObjectStore(root), strategy, verify=verify) if root.is_dir() else []
    if as_json:
        click.echo(json.dumps(timelines, indent=2))
    elif timelines:
        click.echo(render(timelines))
    failed = [m["key"] + ": " + m["status"] for t in timelines for m in t["models"]
              if m["status"] not in ("ok", "present")]
    if failed:
        raise click.ClickException(
            f"{len(failed)} model(s) failed {'verification' if verify else 'the check'}:\n  " + "\n  ".join(failed)
            + "\nRetrain them with the train command shown above."
        )
    if not timelines:
        if strategy is not None:
            raise click.ClickException(
                f"no model timeline for {strategy!r} in {root}; train it with `{train_command(strategy)}`"
            )
        if not as_json:
            click.echo(
                f"No model timelines in {root}. Train one with `qclocal research research/<strategy>.ipynb`."
            )
