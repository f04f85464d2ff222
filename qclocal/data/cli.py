"""`qclocal data`: import real data and generate synthetic markets into the LEAN data folder.

qclocal data import --source ../shared/market-data [--tickers SPY,QQQ] [--start 2010-01-01] [--end ...]
qclocal data import csv ../shared/market-data ...          (the same, with the folder as an argument)
qclocal data import yahoo --tickers SPY,QQQ,^VIX --start 2010-01-01
qclocal data generate mag7 --seed 7
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from qclocal.data import importer


def default_data_folder() -> Path:
    """`data-folder` of the workspace's lean.json (found in this or a parent folder, as the lean CLI does),
    relative to that workspace; ./data outside a workspace."""
    from qclocal.project import find_workspace

    workspace = find_workspace(Path.cwd())
    if workspace is None:
        return Path("data")
    try:
        folder = json.loads((workspace / "lean.json").read_text()).get("data-folder") or "data"
    except json.JSONDecodeError as exc:
        raise click.ClickException(
            f"{workspace / 'lean.json'}:{exc.lineno}: invalid JSON ({exc.msg})"
        ) from None
    return workspace / str(folder)


def _split_list(
    _ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]
) -> frozenset[str] | None:
    items = [t.strip().upper() for v in value for t in v.split(",") if t.strip()]
    return frozenset(items) if items else None


def _parse_lags(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> dict[str, int]:
    lags = {}
    for item in value:
        key, sep, days = item.partition("=")
        if not sep or not days.strip().isdigit():
            raise click.BadParameter(f"{item!r}: use SERIES=DAYS, e.g. --fred-lag INDPRO=47")
        lags[key.strip().upper()] = int(days)
    return lags


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    try:
        return importer.parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


SAFETY_OPTIONS = [
    click.option(
        "--allow-mixed",
        is_flag=True,
        help="Write imported and synthetic data into one data folder (backtests then say so in their log).",
    ),
    click.option(
        "--force",
        is_flag=True,
        help="Write into a data folder holding files qclocal has no record of (same-named files are replaced).",
    ),
]


def import_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every import command."""
    decorators = [
        click.option(
            "--data-folder",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="LEAN data folder to write (default: lean.json's data-folder, else ./data).",
        ),
        click.option(
            "--tickers",
            multiple=True,
            callback=_split_list,
            help="Only these tickers / series ids (comma separated; repeatable).",
        ),
        click.option("--start", callback=_date, help="First date to import (YYYY-MM-DD)."),
        click.option("--end", callback=_date, help="Last date to import (YYYY-MM-DD)."),
        click.option(
            "--max-gap",
            type=click.IntRange(min=0),
            default=5,
            show_default=True,
            help="Warn when more consecutive sessions than this are missing.",
        ),
        click.option(
            "--strict", is_flag=True, help="Treat warnings (missing values, gaps, non-sessions) as errors."
        ),
        click.option(
            "--factor-tolerance",
            type=click.FloatRange(min=0),
            default=importer.writers.DEFAULT_FACTOR_TOLERANCE,
            show_default=True,
            help="Max relative error of ADJUSTED prices vs Adj Close (0 = exact).",
        ),
        click.option(
            "--fred-lag",
            multiple=True,
            callback=_parse_lags,
            help="Release lag override or addition, SERIES=DAYS (repeatable).",
        ),
        click.option(
            "--risk-free",
            default="IRX",
            show_default=True,
            help="Rates series written to LEAN's interest-rate.csv.",
        ),
        click.option(
            "--etfs",
            multiple=True,
            callback=_split_list,
            help="Tickers marked has_fundamental_data=False in coarse files (default: the README's ETFs).",
        ),
        click.option("--no-coarse", is_flag=True, help="Skip the coarse universe files."),
        click.option("--quiet", is_flag=True, help="No progress bar or warnings."),
        *SAFETY_OPTIONS,
    ]
    return functools.reduce(lambda f, d: d(f), reversed(decorators), func)


def _options(kw: dict[str, Any]) -> tuple[Path, importer.ImportOptions]:
    options = importer.ImportOptions(
        tickers=kw["tickers"],
        start=kw["start"],
        end=kw["end"],
        max_gap=kw["max_gap"],
        strict=kw["strict"],
        factor_tolerance=kw["factor_tolerance"],
        fred_lags=kw["fred_lag"],
        risk_free=kw["risk_free"].upper(),
        coarse=not kw["no_coarse"],
        progress=not kw["quiet"],
        allow_mixed=kw["allow_mixed"],
        force=kw["force"],
    )
    if kw["etfs"] is not None:
        options.etfs = kw["etfs"]
    if options.start is not None and options.end is not None and options.end < options.start:
        raise click.BadParameter("--end is before --start")
    return (kw["data_folder"] or default_data_folder()), options


@contextlib.contextmanager
def _as_click_errors() -> Iterator[None]:
    """Bad input, refusals and unwritable folders end the command with their message, not a traceback."""
    try:
        yield
    except (FileNotFoundError, RuntimeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {exc.filename}: {exc.strerror}") from None


def _run(action: Callable[[], importer.ImportReport], quiet: bool) -> None:
    with _as_click_errors():
        report = action()
    if not quiet:
        for warning in report.warnings:
            click.echo(str(warning), err=True)
    click.echo(report.summary())


def _import_csv(source: Path, kw: dict[str, Any]) -> None:
    data_folder, options = _options(kw)
    _run(lambda: importer.import_folder(source, data_folder, options), kw["quiet"])
    click.echo(f"data folder: {data_folder}")


@click.group("data")
def data() -> None:
    """Import real data or generate synthetic markets into the LEAN data folder."""


@data.group("import", invoke_without_command=True)
@click.option(
    "--source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of Yahoo-style CSVs (ohlcv/, close/, index/, rates/, fred/).",
)
@import_options
@click.pass_context
def import_(ctx: click.Context, source: Path | None, **kw: Any) -> None:
    """Convert Yahoo-style CSVs into LEAN's data format (see docs/data.md)."""
    if ctx.invoked_subcommand is not None:
        return
    if source is None:
        raise click.UsageError("pass --source DIR (a folder of CSVs), or use `qclocal data import yahoo`")
    _import_csv(source, kw)


@import_.command("csv")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@import_options
def import_csv(source: Path, **kw: Any) -> None:
    """Convert the CSVs in SOURCE (same as `import --source SOURCE`)."""
    _import_csv(source, kw)


@import_.command("yahoo")
@import_options
@click.option(
    "--csv-folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to keep the downloaded CSVs (default: <data-folder>/qclocal/yahoo).",
)
def import_yahoo(csv_folder: Path | None, **kw: Any) -> None:
    """Download daily data with yfinance (needs the internet), then import it. ^VIX-style tickers are
    indexes; ^IRX and ^TNX are rates."""
    from qclocal.data import yahoo

    if not kw["tickers"]:
        raise click.UsageError("pass --tickers, e.g. --tickers SPY,QQQ,^VIX")
    if kw["start"] is None:
        raise click.UsageError("pass --start YYYY-MM-DD")
    data_folder, options = _options(kw)
    tickers = sorted(kw["tickers"])
    options.tickers = None
    _run(
        lambda: yahoo.import_yahoo(tickers, kw["start"], kw["end"], data_folder, csv_folder, options),
        kw["quiet"],
    )


@data.command("generate")
@click.argument("scenario")
@click.option(
    "--data-folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="LEAN data folder to write (default: lean.json's data-folder, else ./data).",
)
@click.option("--seed", type=click.IntRange(min=0), default=7, show_default=True)
@click.option("--start", default=None, help="First date (YYYY-MM-DD; default: the generator's).")
@click.option("--end", default=None, help="Last date (YYYY-MM-DD; default: the generator's).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@SAFETY_OPTIONS[0]
@SAFETY_OPTIONS[1]
def generate(
    scenario: str,
    data_folder: Path | None,
    seed: int,
    start: str | None,
    end: str | None,
    quiet: bool,
    allow_mixed: bool,
    force: bool,
) -> None:
    """Write the synthetic market SCENARIO (deterministic, with planted effects) into the data folder."""
    from qclocal.data import synthetic

    kwargs: dict[str, Any] = {"seed": seed, "allow_mixed": allow_mixed, "force": force}
    if start:
        kwargs["start"] = start
    if end:
        kwargs["end"] = end
    folder = data_folder or default_data_folder()
    with _as_click_errors():
        synthetic.generate(scenario, folder, progress=not quiet, **kwargs)
    click.echo(f"generated {scenario} (seed {seed}) into {folder}")
