"""Real-data report: train through 2016, test 2017-2020; baseline, compact and reference side by side.

Usage (reads the CSVs of ``../shared/market-data`` directly; the notebook uses QuantBook instead)::

    python -m models.tqqq_leverage.report --market-data ../shared/market-data --out /tmp/tqqq_report \
        --train-end 2016-12-31 --test-start 2017-01-01 --test-end 2020-12-31

Each series is read from ``<name>.csv`` or ``<name>.csv.gz`` (``Date`` column plus the values).

Prints the source's table for each model, tracking error and terminal-wealth error per calendar year, the
training times, and a check of the pre-inception simulation; with ``--out`` it also writes the
cumulative-returns figure (PNG) and the simulated TQQQ 1999-2020 as ``close/TQQQ.csv`` (leverage and constant
cost fitted on all of TQQQ's real history with the financing multiplier fixed at 2, so the pre-2010 part uses
parameters estimated on 2010-2020: a synthetic instrument, not as-of data), ready for ``qclocal data import``.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import DEFAULT_BASELINE, align_inputs, calibrate_baseline
from .evaluation import (
    SOURCE_TABLE,
    cumulative_returns_figure,
    format_table,
    per_year_tracking_error,
    simulate_returns,
    simulate_tqqq,
    source_table,
    tracking_frame,
    write_close_csv,
)
from .training import REFERENCE_TRAINING, TrainedModel, train

__all__ = ["check_dates", "load_market_inputs", "ReportResult", "run_report", "main"]


def _read(folder: Path, relative: str) -> pd.DataFrame:
    """``relative``.csv or ``relative``.csv.gz (pandas decompresses by the suffix); both present is an error."""
    found = [path for path in (folder / f"{relative}.csv", folder / f"{relative}.csv.gz") if path.exists()]
    if not found:
        raise FileNotFoundError(f"{folder / relative}.csv(.gz) is missing; pass the market-data folder "
                                f"(--market-data ../shared/market-data)")
    if len(found) > 1:
        raise ValueError(f"both {found[0]} and {found[1]} exist; keep one so the report reads a known file")
    return pd.read_csv(found[0], parse_dates=["Date"], index_col="Date")


def check_dates(train_end: str, test_start: str, test_end: str) -> None:
    """ISO dates with training strictly before the test window and a non-empty test window."""
    try:
        stamps = [pd.Timestamp(date.fromisoformat(value)) for value in (train_end, test_start, test_end)]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"dates must be YYYY-MM-DD (--train-end, --test-start, --test-end): {exc}") from None
    if not stamps[0] < stamps[1] <= stamps[2]:
        raise ValueError(f"need train end < test start <= test end, got {train_end}, {test_start}, {test_end}")


def load_market_inputs(folder: str | Path) -> pd.DataFrame:
    """The six inputs from the market-data CSVs: adjusted closes of QQQ/TQQQ (``close/``), VIX and VIX3M
    (``index/``), IRX and TNX (``rates/``). VIX misses one QQQ session (1999-12-31); it is filled (limit 1)."""
    root = Path(folder)
    return align_inputs(_read(root, "close/QQQ"), _read(root, "close/TQQQ"), _read(root, "index/VIX"),
                        _read(root, "index/VIX3M"), _read(root, "rates/IRX"), _read(root, "rates/TNX"),
                        fill_limits={"vix": 1})


@dataclass
class ReportResult:
    tables: dict[str, dict[str, float]]
    per_year: dict[str, pd.DataFrame]
    train_seconds: dict[str, float]
    models: dict[str, TrainedModel]
    frames: dict[str, pd.DataFrame]
    simulation: dict[str, dict[str, float]] = field(default_factory=dict)

    def text(self) -> str:
        lines = [format_table({"source (its own test)": SOURCE_TABLE, **self.tables}), ""]
        years = pd.concat({name: frame[["tracking_error", "terminal_wealth_error"]]
                           for name, frame in self.per_year.items()}, axis=1)
        lines += ["Per calendar year (tracking error, terminal-wealth error):",
                  years.to_string(float_format=lambda v: f"{v:+.2%}"), ""]
        lines += ["Training time: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.train_seconds.items())]
        for name, model in self.models.items():
            if model.network is not None:
                lines.append(f"  {name}: {model.network.count_params():,} parameters, "
                             f"{model.metrics.get('epochs_run', 0):.0f} epochs (mean over members)")
        if self.simulation:
            lines += ["", "Simulated TQQQ vs actual over the test period (TE, terminal-wealth error):"]
            for name, values in self.simulation.items():
                lines.append(f"  {name}: TE {values['tracking_error']:.2%}, terminal {values['terminal_wealth_error']:+.2%}"
                             + (f"  params {values['params']}" if "params" in values else ""))
        return "\n".join(lines)


def _simulation_check(inputs: pd.DataFrame, train_end: str, test_start: str, test_end: str
                      ) -> dict[str, dict[str, float]]:
    """Out-of-sample check of the simulation formula: fixed parameters, and L and c fitted on the training
    years with the financing multiplier fixed at 2 (rates of 0-0.5% in 2010-2016 do not identify it)."""
    actual = inputs["tqqq"].pct_change().loc[test_start:test_end]
    calibrated = calibrate_baseline(inputs, end=train_end, financing_multiplier=2.0)
    out: dict[str, dict[str, float]] = {}
    for name, params in (("fixed baseline", DEFAULT_BASELINE), ("calibrated on training years", calibrated)):
        simulated = simulate_returns(inputs, params).loc[actual.index]
        error = actual - simulated
        out[name] = {"tracking_error": float(error.std() * np.sqrt(252)),
                     "terminal_wealth_error": float(np.prod(1 + simulated) / np.prod(1 + actual) - 1)}
    out["calibrated on training years"]["params"] = str(  # type: ignore[assignment]
        {k: round(v, 4) for k, v in calibrated.to_dict().items() if v is not None})
    return out


def run_report(market_data: str | Path, *, train_end: str = "2016-12-31", test_start: str = "2017-01-01",
               test_end: str = "2020-12-31", reference_size: str | float = "small",
               reference_epochs: int | None = None, include_reference: bool = True,
               out_dir: str | Path | None = None, log: Callable[[str], None] = print) -> ReportResult:
    """Train baseline, compact and reference through ``train_end``; evaluate on ``[test_start, test_end]``."""
    check_dates(train_end, test_start, test_end)
    inputs = load_market_inputs(market_data)
    cutoff = pd.Timestamp(train_end) + pd.Timedelta(days=1)
    variants: list[tuple[str, dict]] = [("baseline", {"variant": "baseline"}), ("compact", {"variant": "compact"})]
    if include_reference:
        config = REFERENCE_TRAINING if reference_epochs is None else dataclasses.replace(
            REFERENCE_TRAINING, epochs=reference_epochs)
        variants.append((f"reference/{reference_size}", {"variant": "reference", "size": reference_size,
                                                         "config": config}))
    result = ReportResult({}, {}, {}, {}, {})
    for name, kwargs in variants:
        started = time.perf_counter()
        model = train(inputs, cutoff, log=log, **kwargs)
        result.train_seconds[name] = time.perf_counter() - started
        frame = tracking_frame(model, inputs, test_start, test_end)
        result.models[name], result.frames[name] = model, frame
        result.tables[name] = source_table(frame)
        result.per_year[name] = per_year_tracking_error(frame)
    result.simulation = _simulation_check(inputs, train_end, test_start, test_end)
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        figure = cumulative_returns_figure(result.frames["compact"],
                                           title=f"Compact model, {test_start[:4]}-{test_end[:4]} (initial value 100)")
        figure.savefig(out / "cumulative_returns.png", dpi=110)
        # The exported series: L and c fitted on all of TQQQ's history (multiplier 2), spliced to real TQQQ.
        export = calibrate_baseline(inputs, financing_multiplier=2.0)
        write_close_csv(simulate_tqqq(inputs, export), out / "close" / "TQQQ.csv")
        log(f"tqqq_leverage: wrote {out / 'close' / 'TQQQ.csv'} (simulated before 2010-02-11 with {export})")
        (out / "report.txt").write_text(result.text() + "\n")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--market-data", default="../shared/market-data")
    parser.add_argument("--out", default=None, help="folder for the figure, the simulated CSV and report.txt")
    parser.add_argument("--reference-size", default="small", help="full, small (1/8 widths), tiny, or a float")
    parser.add_argument("--reference-epochs", type=int, default=None, help="cap the reference's 200 epochs")
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--train-end", default="2016-12-31", help="last day of training data (YYYY-MM-DD)")
    parser.add_argument("--test-start", default="2017-01-01", help="first day of the test window")
    parser.add_argument("--test-end", default="2020-12-31", help="last day of the test window")
    args = parser.parse_args(argv)
    try:
        check_dates(args.train_end, args.test_start, args.test_end)
    except ValueError as exc:
        parser.error(str(exc))
    size: str | float = args.reference_size
    try:
        size = float(size)
    except ValueError:
        pass
    result = run_report(args.market_data, train_end=args.train_end, test_start=args.test_start,
                        test_end=args.test_end, reference_size=size, reference_epochs=args.reference_epochs,
                        include_reference=not args.no_reference, out_dir=args.out)
    print(result.text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
