"""``qclocal``: the Docker-free stand-in for the lean CLI (backtest, optimize, research, data, models, report, demo)."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import click

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before any TensorFlow import: keep its banners out of runs

from qclocal.project import ProjectError, find_workspace

_REPO = Path(__file__).resolve().parents[1]


def _library_on_path() -> None:
    """The models library lives in ``Library/models`` (a LEAN library), not in site-packages."""
    workspace = find_workspace(Path.cwd()) or _REPO
    for lib in (workspace / "Library", _REPO / "Library"):
        if lib.is_dir() and str(lib) not in sys.path:
            sys.path.append(str(lib))


def _parse_parameters(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    for name, value in pairs:
        try:
            number = float(value)
        except ValueError:
            continue
        if number != number or number in (float("inf"), float("-inf")):
            raise click.BadParameter(f"{name} {value}: parameter values must be finite numbers or text",
                                     param_hint="--parameter")
    return dict(pairs)


class _LazyGroup(click.Group):
    """Imports the ``data`` and ``models`` command groups on first use: their modules (importers, calendars,
    the models library) cost more start-up than a whole small backtest."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy   # command name -> "module:attribute"

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            module, _, attribute = self.lazy[name].partition(":")
            _library_on_path()
            try:
                self.add_command(getattr(importlib.import_module(module), attribute))
            except ImportError:
                return None
        return super().get_command(ctx, name)


@click.group(cls=_LazyGroup, lazy={"data": "qclocal.data.cli:data", "models": "qclocal.models_cli:models"})
@click.version_option(package_name="qc-ml-workspace")
def main() -> None:
    """Run LEAN Python algorithms and research notebooks without Docker, with LEAN's semantics."""
    _library_on_path()


def _run_options(parameter_help: str, output_help: str):
    """The options `backtest` and `research` share, as the lean CLI names them."""
    def decorate(command):
        for option in reversed([
            click.option("--parameter", "parameters", type=(str, str), multiple=True, metavar="NAME VALUE",
                         help=parameter_help),
            click.option("--output", type=click.Path(path_type=Path), help=output_help),
            click.option("--data-folder", type=click.Path(path_type=Path),
                         help="LEAN data folder (default from lean.json)."),
            click.option("--object-store", type=click.Path(path_type=Path),
                         help="ObjectStore folder (default storage/)."),
        ]):
            command = option(command)
        return command
    return decorate


@main.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_run_options("Override a config.json parameter (repeatable), as in `lean backtest`.",
              "Output folder (default <project>/backtests/<time>).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def backtest(project: Path, parameters, output, data_folder, object_store, quiet) -> None:
    """Backtest a project folder (main.py + config.json), like `lean backtest`."""
    from qclocal.backtest import format_statistics, load_project, run_project
    from qclocal.outputs import OutputError

    try:
        proj = load_project(project, _parse_parameters(parameters))
        result, out = run_project(proj, data_folder, object_store, output, show_progress=not quiet,
                                  echo=click.echo)
    except (ProjectError, OutputError) as exc:
        raise click.ClickException(str(exc)) from None
    for line in result.logs[-20:]:
        click.echo(line)
    if result.statistics:
        click.echo(format_statistics(result.statistics))
    click.echo(f"Backtest {result.status} in {result.wall_seconds:.1f}s; results in {out}")
    if result.status != "Completed":
        click.echo(result.error or "", err=True)
        sys.exit(1)


@main.command()
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_run_options("Assign a notebook variable after its `parameters` cell (repeatable).",
              "Folder for the executed notebook.")
@click.option("--timeout", default=3600, show_default=True, help="Seconds allowed per cell.")
def research(notebook: Path, parameters, output, data_folder, object_store, timeout) -> None:
    """Execute a research notebook headless with QuantBook (like `lean research`, without Jupyter)."""
    from qclocal.research import NotebookFailed, run_notebook

    try:
        out = run_notebook(notebook, _parse_parameters(parameters), output, data_folder, object_store, timeout,
                           echo=click.echo)
    except NotebookFailed as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except (ValueError, ProjectError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Notebook completed; executed copy in {out}")


@main.command()
@click.argument("target", type=click.Path(exists=True, file_okay=False, path_type=Path))
def report(target: Path) -> None:
    """Write report.md and report.png for a backtest folder (or a project's latest backtest)."""
    from qclocal.outputs import OutputError
    from qclocal.report import latest_backtest, make_report

    try:
        folder = target if (target / "log.txt").is_file() else latest_backtest(target)
        click.echo(f"Report written: {make_report(folder)}")
    except (OutputError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--output", type=click.Path(path_type=Path),
              help="New or empty folder for the results (default <project>/optimizations/<time>).")
@click.option("--optimizer-config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="LEAN Optimizer.Launcher config.json (the algorithm-* keys are ignored).")
@click.option("--strategy", type=click.Choice(["Grid Search", "Euler Search"], case_sensitive=False),
              help="The optimization strategy (then --target, --target-direction and --parameter are required).")
@click.option("--target", help='The statistic to optimize, e.g. "Sharpe Ratio".')
@click.option("--target-direction", type=click.Choice(["min", "max"], case_sensitive=False),
              help="Minimize or maximize the target.")
@click.option("--parameter", "parameters", type=(str, float, float, float), multiple=True,
              metavar="NAME MIN MAX STEP", help="A parameter to optimize (repeatable).")
@click.option("--constraint", "constraints", multiple=True, metavar='"STATISTIC OPERATOR VALUE"',
              help='Drop backtests that miss it, e.g. "Drawdown < 0.25" (repeatable).')
@click.option("--max-concurrent-backtests", type=click.IntRange(min=1),
              help="Backtests run at once (default: the config's, else half the CPUs, as LEAN).")
@click.option("--backend", type=click.Choice(["joblib", "ray"]),
              help="Where backtests run: joblib on this machine (default) or a Ray cluster.")
@click.option("--address", help='Ray cluster address, e.g. "HEAD_IP:6379" or "auto" (implies --backend ray).')
@click.option("--data-folder", type=click.Path(path_type=Path), help="LEAN data folder (default from lean.json).")
@click.option("--object-store", type=click.Path(path_type=Path), help="ObjectStore folder (default storage/).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def optimize(project: Path, output, optimizer_config, strategy, target, target_direction, parameters,
             constraints, max_concurrent_backtests, backend, address, data_folder, object_store, quiet) -> None:
    """Optimize a project's parameters with LEAN's Grid or Euler search, like `lean optimize`."""
    from qclocal.optimize import report, run_from_options

    try:
        result, folder = run_from_options(project, optimizer_config, strategy, target, target_direction,
                                          parameters, constraints, max_concurrent_backtests, output,
                                          data_folder, object_store, backend or ("ray" if address else None),
                                          address, show_progress=not quiet)
    except ProjectError as exc:
        raise click.ClickException(str(exc)) from None
    text, ok = report(result, folder)
    click.echo(text)
    if not ok:
        sys.exit(1)


DEMOS = {
    # strategy -> (synthetic scenario, its seed, notebook parameters for a small, fast run)
    "tqqq_leverage": ("leveraged-etf", 1, {"variants": "baseline,compact", "size": "tiny", "epochs": "3"}),
    "mag7_lstm": ("mag7", 7, {"refit": "quarterly", "size": "tiny", "epochs": "2"}),
    "sector_rotation": ("sectors", 7, {"variants": "ridge", "data_start": "2014-01-01",
                                       "first_cutoff": "2019-01-01"}),
    "pairs_reversion": ("pairs", 7, {"grid": "tiny", "epochs": "5", "seeds": "0", "cutoffs": "2019-01-01,2020-01-01",
                                     "validation_days": "126", "n_jobs": "1"}),
    # one frozen model cut off 2016-01-01 serves the algorithm's 2016-2020 backtest
    "russell_qpi": ("reversal", 7, {"first_cutoff": "2016-01-01", "last_cutoff": "2016-01-01", "refit": "yearly",
                                    "history_start": "2012-01-01", "max_iter": "30", "max_train": "20000"}),
}


@main.command()
@click.option("--strategy", type=click.Choice(sorted(DEMOS)), default="tqqq_leverage", show_default=True)
@click.option("--seed", type=int, help="Seed of the synthetic market (default: the demo's own).")
@click.option("--data-folder", type=click.Path(file_okay=False, path_type=Path),
              help="Data folder for the synthetic market (default from lean.json; it must not hold imported data).")
def demo(strategy: str, seed: int | None, data_folder: Path | None) -> None:
    """End to end on generated data: data -> research (train, save models) -> backtest -> report."""
    from qclocal.backtest import format_statistics, load_project, run_project
    from qclocal.data.provenance import DataSafetyError
    from qclocal.data.synthetic import generate
    from qclocal.report import make_report
    from qclocal.research import NotebookFailed, run_notebook

    workspace = find_workspace(Path.cwd()) or _REPO
    scenario, default_seed, params = DEMOS[strategy]
    seed = default_seed if seed is None else seed
    project = load_project(workspace / "algorithms" / strategy)
    folder = Path(data_folder).resolve() if data_folder else project.data_folder
    click.echo(f"[1/4] Generating the synthetic '{scenario}' market (seed {seed}) in {folder}")
    try:
        generate(scenario, folder, seed=seed)
    except DataSafetyError as exc:
        raise click.ClickException(f"{exc}\nThe demo leaves that folder alone: run it on a separate one, e.g. "
                                   f"`qclocal demo --strategy {strategy} --data-folder demo-data`.") from None
    click.echo(f"[2/4] Training the model timeline: research/{strategy}.ipynb {params}")
    try:
        run_notebook(workspace / "research" / f"{strategy}.ipynb", params, data_folder=folder, echo=click.echo)
    except NotebookFailed as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"[3/4] Backtesting algorithms/{strategy}")
    result, out = run_project(project, data_folder=folder, echo=click.echo)
    click.echo(format_statistics(result.statistics))
    if result.status != "Completed":
        raise click.ClickException(f"backtest failed:\n{result.error}")
    click.echo(f"[4/4] Report: {make_report(out, strategy)}")


if __name__ == "__main__":
    main()
