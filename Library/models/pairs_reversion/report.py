"""Tables and figures of the research notebook (per-pair results, spreads with entries, equity, calibration),
and the out-of-sample report from the command line:

    python -m models.pairs_reversion.report --data ../shared/market-data --object-store storage \
        --train-end 2018-12-31 --test-start 2019-01-01 --test-end 2020-12-11

``--data`` is a LEAN data folder, or a folder of CSV / CSV.GZ files in the market-data layout (``ohlcv/``,
``close/``), which is first imported into a temporary LEAN folder with qclocal's importer. The models are the
timeline in ``--object-store`` (trained by ``research/pairs_reversion.ipynb``) with cutoffs on or before the day
after ``--train-end``; each test date uses the newest of them strictly before it. Prints test F1 against
always-1 and both rules' research backtests (LEAN's fills and fees) per pair.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..dates import as_timestamp
from .evaluation import PairBacktest, TestEvaluation, evaluate_test
from .features import history_bars
from .persistence import model_timeline, pairs_from_loaded
from .training import SOURCE_THRESHOLDS, parse_pairs

__all__ = ["results_table", "plot_spread", "plot_equity", "plot_calibration", "plot_confusions", "run_report", "main"]


def results_table(rows: Mapping[str, Mapping[str, object]]) -> pd.DataFrame:
    """One row per pair from ``{pair: {column: value}}`` (flat dicts), columns in first-seen order."""
    return pd.DataFrame.from_dict({k: dict(v) for k, v in rows.items()}, orient="index")


def plot_spread(signals: pd.DataFrame, result: PairBacktest | None, title: str, ax=None):
    """The z-score of a pair's spread with the entry decisions (long: up triangles, short: down)."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(11, 3))[1]
    ax.plot(signals.index, signals["z"], color="black", lw=0.8, label="z")
    if result is not None and len(result.trades):
        entries = result.trades[result.trades["kind"] == "enter"]
        for direction, marker, color in ((1, "^", "green"), (-1, "v", "red")):
            rows = entries[entries["direction"] == direction]
            ax.scatter(rows["time"], rows["z"], marker=marker, color=color, s=25,
                       label="long spread" if direction > 0 else "short spread")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_equity(curves: Mapping[str, pd.Series], title: str, ax=None):
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(11, 4))[1]
    for name, curve in curves.items():
        ax.plot(curve.index, curve.to_numpy(), label=name, lw=1)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_calibration(tables: Mapping[str, pd.DataFrame], title: str = "Calibration of P (test period)"):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", lw=0.5)
    for name, table in tables.items():
        ax.plot(table["mean_probability"], table["observed"], marker="o", label=name)
    ax.set_xlabel("mean P")
    ax.set_ylabel("observed reversion frequency")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_confusions(matrices: Mapping[str, list], title: str = "Confusion matrices (test period)"):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(matrices), figsize=(2.6 * len(matrices), 2.6), squeeze=False)
    for ax, (name, cm) in zip(axes[0], matrices.items(), strict=True):
        ax.imshow(cm, cmap="Blues")
        for i in range(2):
            for j in range(2):
                ax.text(j, i, str(cm[i][j]), ha="center", va="center")
        ax.set_xticks([0, 1], ["pred 0", "pred 1"])
        ax.set_yticks([0, 1], ["true 0", "true 1"])
        ax.set_title(name, fontsize=9)
    fig.suptitle(title)
    return axes


def _lean_folder(data: Path, tickers: Sequence[str], scratch: Path) -> Path:
    """``data`` when it is a LEAN data folder; otherwise its CSVs of ``tickers`` imported into ``scratch``."""
    if (data / "equity").is_dir():
        return data
    from qclocal.data.importer import ImportOptions, import_folder  # research tooling, never in an algorithm

    import_folder(data, scratch, ImportOptions(tickers=frozenset(tickers), coarse=False, progress=False))
    return scratch


def run_report(data: str | Path, object_store: str | Path, *, pairs: str = "IEMG/EEM,ARKK/ARKW,TLT/SPTL,"
               "SHY/VGSH,SOXX/ITA", train_end: str = "2018-12-31", test_start: str = "2019-01-01",
               test_end: str = "2020-12-11", stop_z: float = 3.0, hedge: str = "dollar") -> TestEvaluation:
    """The out-of-sample evaluation of the stored timeline on the data; see the module docstring."""
    from qclocal.engine.enums import Resolution
    from qclocal.object_store import ObjectStore
    from qclocal.research import QuantBook

    from ..lean_history import wide

    specs = parse_pairs(pairs)
    tickers = [t for s in specs for t in (s.a, s.b)]
    last_cutoff = as_timestamp(train_end, "--train-end") + pd.Timedelta(days=1)
    timeline = model_timeline(ObjectStore(object_store), log=lambda _: None)
    cutoffs = [c for c in timeline.cutoffs() if pd.Timestamp(c) <= last_cutoff]
    if not cutoffs:
        raise SystemExit(f"no pairs_reversion model in {object_store} with a cutoff on or before {last_cutoff.date()}"
                         f" (found {[str(c) for c in timeline.cutoffs()]}); train one with `qclocal research "
                         "research/pairs_reversion.ipynb --parameter cutoffs <date>`")
    models = {s.name: [pairs_from_loaded(timeline.as_of(pd.Timestamp(c) + pd.Timedelta(days=1)), [s.name])[s.name]
                       for c in cutoffs] for s in specs}
    with tempfile.TemporaryDirectory(prefix="pairs-report-") as scratch:
        folder = _lean_folder(Path(data), tickers, Path(scratch))
        qb = QuantBook(data_folder=folder, object_store=Path(object_store))
        symbols = [qb.add_equity(t, Resolution.DAILY).symbol for t in tickers]
        bars = max(history_bars(m.spec.window, m.window_size) for timeline in models.values() for m in timeline)
        first = as_timestamp(test_start, "--test-start") - pd.offsets.BDay(bars + 10)  # + room for holidays
        last = as_timestamp(test_end, "--test-end") + pd.Timedelta(days=1)
        history = qb.history(symbols, first.to_pydatetime(), last.to_pydatetime(), Resolution.DAILY)
    closes, opens = wide(history, "close"), wide(history, "open")
    return evaluate_test(closes, opens, models, SOURCE_THRESHOLDS, test_start, test_end, stop_z=stop_z, hedge=hedge)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="LEAN data folder, or market-data CSV / CSV.GZ folder")
    parser.add_argument("--object-store", required=True, help="ObjectStore folder holding the model timeline")
    parser.add_argument("--pairs", default="IEMG/EEM,ARKK/ARKW,TLT/SPTL,SHY/VGSH,SOXX/ITA")
    parser.add_argument("--train-end", default="2018-12-31", help="use models with cutoffs up to the next day")
    parser.add_argument("--test-start", default="2019-01-01")
    parser.add_argument("--test-end", default="2020-12-11")
    parser.add_argument("--stop-z", type=float, default=3.0)
    parser.add_argument("--hedge", choices=("dollar", "beta"), default="dollar")
    parser.add_argument("--json", help="also write the two tables to this file")
    args = parser.parse_args(argv)
    result = run_report(args.data, args.object_store, pairs=args.pairs, train_end=args.train_end,
                        test_start=args.test_start, test_end=args.test_end, stop_z=args.stop_z, hedge=args.hedge)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"test {args.test_start} .. {args.test_end}: classification (F1 at our and the source's thresholds)")
        print(result.scores.round(3).to_string())
        print("\nresearch backtests (both legs, market-on-open, IB fees): trades, fees, PnL after fees")
        print(result.trades.round(2).to_string())
    if args.json:
        Path(args.json).write_text(json.dumps({"scores": result.scores.to_dict(orient="index"),
                                               "trades": result.trades.to_dict(orient="index")}, indent=1,
                                              default=float))


if __name__ == "__main__":
    main()
