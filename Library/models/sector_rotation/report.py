"""Tables and figures, and the real-data evaluation (research only).

    python -m models.sector_rotation.report --prices ../shared/market-data --fred DATA_FOLDER \
        --train-end 2014-12-31 --test-start 2015-01-01 --test-end 2020-12-31

``--prices``: a folder of Yahoo-style CSVs (``close/<T>.csv`` or ``.csv.gz``, ``Date,Close`` adjusted).
``--fred``: a LEAN data folder whose ``alternative/fred/<id>.csv`` files ``qclocal data import`` wrote, dated by
release (docs/data.md), so every feature is as of its release. Models are refit each January (expanding window,
one-month purge; ``--refit none``: one model, trained through ``--train-end``); the first cutoff is the day after
``--train-end``, and every decision date is predicted by the newest model cut off before it.

    python -m models.sector_rotation.report --backtests ridge=DIR tree=DIR ...

tabulates finished qclocal backtests of ``algorithms/sector_rotation`` (each DIR holds its result JSON) with the
source's metrics, from the "Equity vs SPY" chart: monthly returns between month starts, the strategy after LEAN's
fills and fees, SPY without costs; next to the source's table.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import evaluation
from .dataset import make_panel
from .evaluation import BacktestResult, backtest, baseline_forecasts, mae_table, metrics_table
from .features import BENCHMARK, assets, macro_features, month_starts
from .rules import allocate_panel
from .training import predictions, train_timeline

__all__ = ["SOURCE_TABLE", "format_table", "load_closes", "load_fred_folder", "plot_equity", "plot_weights",
           "qclocal_table", "run_report", "main"]

# The source's table (2021-2025, decision-tree portfolio vs SPY; its backtest had no costs).
SOURCE_TABLE = pd.DataFrame({"cagr": [0.083, 0.124], "sd": [0.158, 0.160], "sortino": [0.50, 0.90],
                             "growth_of_100": [115.0, 154.0]}, index=["source: tree", "source: SPY"])


def _csv(folder: Path, name: str) -> Path:
    for suffix in (".csv", ".csv.gz"):
        if (folder / f"{name}{suffix}").is_file():
            return folder / f"{name}{suffix}"
    raise FileNotFoundError(f"{folder}/{name}.csv[.gz] is missing: point --prices at a market-data folder")


def load_closes(root: str | Path, tickers: Sequence[str]) -> pd.DataFrame:
    """Adjusted closes from ``close/<T>.csv[.gz]`` (``Date,Close``), one column per ticker."""
    series = {}
    for t in tickers:
        frame = pd.read_csv(_csv(Path(root) / "close", t), parse_dates=["Date"], index_col="Date").sort_index()
        series[t] = frame["Close"].dropna()
    return pd.DataFrame(series)


def load_fred_folder(data_folder: str | Path, series: Sequence[str] | None = None) -> pd.DataFrame:
    """FRED files of a LEAN data folder (``yyyyMMdd(release),value,...``) as a frame indexed by visible day
    (release + 1 day, as ``add_data(Fred, ...)`` delivers them)."""
    folder = Path(data_folder) / "alternative" / "fred"
    files = sorted(folder.glob("*.csv")) if series is None else [folder / f"{s.lower()}.csv" for s in series]
    if not files or not all(f.is_file() for f in files):
        raise FileNotFoundError(f"{folder} lacks FRED files: run `qclocal data import --source "
                                f"../shared/market-data --data-folder {data_folder}` first")
    columns = {}
    for f in files:
        raw = pd.read_csv(f, header=None, usecols=[0, 1], names=["released", "value"], dtype={"released": str})
        visible = pd.to_datetime(raw["released"], format="%Y%m%d") + pd.Timedelta(days=1)
        columns[f.stem.upper()] = pd.Series(raw["value"].to_numpy(float), index=visible).groupby(level=0).last()
    return pd.DataFrame(columns).sort_index()


def format_table(table: pd.DataFrame) -> str:
    shown = table.copy().astype(object)
    for col in table.columns:
        if col in ("cagr", "sd", "max_drawdown", "mae"):
            shown[col] = table[col].map(lambda v: "" if pd.isna(v) else f"{100 * v:.2f}%")
        elif col in ("sortino", "turnover"):
            shown[col] = table[col].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
        elif col in ("growth_of_100", "fees", "seconds"):
            shown[col] = table[col].map(lambda v: "" if pd.isna(v) else f"{v:,.1f}")
    return shown.to_string()


def plot_weights(weights: pd.DataFrame, title: str = "Target weights per month") -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4))
    w = weights.dropna(how="all").fillna(0.0)
    ax.stackplot(w.index, w.T.to_numpy(), labels=list(w.columns), step="post")
    ax.set_ylim(0, max(1.0, float(w.sum(axis=1).max())))
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    return fig


def plot_equity(results: dict[str, BacktestResult], title: str = "Equity (log scale)") -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4))
    for name, r in results.items():
        ax.plot(r.equity.index, r.equity / r.equity.iloc[0] * 100, label=name)
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def qclocal_table(backtests: dict[str, str | Path], spy_from: str | None = None) -> pd.DataFrame:
    """The source's metrics of finished qclocal backtests (name -> result folder), plus SPY from the chart of
    ``spy_from`` (default: the first), and the source's rows."""
    rows, spy = {}, None
    for name, folder in backtests.items():
        files = [f for f in Path(folder).glob("*.json") if not f.name.endswith("-order-events.json")
                 and not f.name.startswith(".")]
        if len(files) != 1:
            raise FileNotFoundError(f"{folder}: expected one qclocal result JSON, found {[f.name for f in files]}")
        result = json.loads(files[0].read_text())
        chart = result["charts"]["Equity vs SPY"]
        curves = {}
        for series, points in chart.items():
            values = pd.Series({pd.Timestamp(p["x"], unit="s").normalize(): p["y"] for p in points}, dtype=float)
            curves[series] = values[~values.index.duplicated(keep="last")].sort_index()
        strategy = curves["Sector rotation"]
        decisions = month_starts(strategy.index)
        fees = float(str(result["statistics"]["Total Fees"]).lstrip("$").replace(",", ""))
        rows[name] = evaluation.metrics(evaluation.monthly_returns(strategy, decisions), strategy) | {"fees": fees}
        if name == (spy_from or next(iter(backtests))):
            spy = evaluation.metrics(evaluation.monthly_returns(curves["SPY"], decisions), curves["SPY"])
    table = pd.DataFrame(rows).T
    if spy is not None:
        table.loc["SPY (chart, no costs)"] = pd.Series(spy)
    return pd.concat([table, SOURCE_TABLE])


def run_report(prices: str | Path, fred_folder: str | Path, *, etf_set: str = "spdr9",
               data_start: str = "2000-01-01", train_end: str = "2014-12-31", test_start: str = "2015-01-01",
               test_end: str = "2020-12-31", families: Sequence[str] = ("ridge", "tree", "lstm"),
               lstm: dict | None = None, slippage: float = 0.0005, rule: dict | None = None, refit: str = "yearly",
               log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train yearly timelines, predict the test years out of sample, and compare MAE and backtests."""
    names = assets(etf_set)
    closes = load_closes(prices, names).loc[data_start:test_end]
    fred = load_fred_folder(fred_folder)
    dates = month_starts(closes.dropna(how="all").index)
    panel = make_panel(macro_features(fred, dates), closes, names)
    first_cutoff = pd.Timestamp(train_end) + pd.Timedelta(days=1)
    if refit not in ("yearly", "none"):
        raise ValueError(f"refit must be 'yearly' or 'none', got {refit!r}")
    cutoffs = [d.date() for d in pd.date_range(first_cutoff, test_end, freq="YS")] or [first_cutoff.date()]
    cutoffs = cutoffs if refit == "yearly" else cutoffs[:1]
    test = panel.dates[(panel.dates >= pd.Timestamp(test_start)) & (panel.dates <= pd.Timestamp(test_end))]
    log(f"sector_rotation report: {etf_set} {names}, {panel.features.shape[1]} FRED series, decisions "
        f"{panel.dates[0].date()}..{panel.dates[-1].date()}, cutoffs {[str(c) for c in cutoffs]}")
    forecasts = {}
    seconds = {}
    member_forecasts: dict[str, pd.DataFrame] = {}
    for family in families:
        started = time.perf_counter()
        models = train_timeline(family, panel, cutoffs, lstm=lstm, progress=False, log=log)
        seconds[family] = time.perf_counter() - started
        forecasts[family] = predictions(models, panel, test)
        if family == "lstm":
            for k in range(len(models[0].forecaster.networks)):
                member_forecasts[f"lstm seed {k}"] = predictions(models, panel, test, member=k)
    if {"ridge", "tree", "lstm"} <= set(forecasts):
        forecasts["ensemble"] = sum(forecasts[f] for f in ("ridge", "tree", "lstm")) / 3
    baselines = baseline_forecasts(closes[names], panel.dates)
    realised = panel.labels
    mae = mae_table({**forecasts, **member_forecasts, **baselines}, realised, test)
    rule = rule or {}
    weights = {name: allocate_panel(f.loc[test], **rule) for name, f in {**forecasts, **member_forecasts}.items()}
    for name in ("momentum_12_1", "historical_mean"):
        weights[name] = allocate_panel(baselines[name].loc[test], **rule)
    weights["equal_weight"] = pd.DataFrame(1 / len(names), index=test, columns=names)
    weights[BENCHMARK] = pd.DataFrame({n: 1.0 if n == BENCHMARK else 0.0 for n in names}, index=test)
    end = pd.Timestamp(test_end)
    results = {name: backtest(w, closes, slippage=slippage, end=end) for name, w in weights.items()}
    table = metrics_table(results)
    seeds = [n for n in member_forecasts]
    if seeds:
        per_seed = table.loc[seeds, ["cagr", "sd", "sortino", "max_drawdown"]]
        log("\nLSTM over seeds: mean " + per_seed.mean().round(4).to_dict().__repr__() + ", sd " +
            per_seed.std().round(4).to_dict().__repr__())
        log("LSTM MAE over seeds: mean {:.4%}, sd {:.4%}".format(mae.loc[seeds, "mae"].mean(),
                                                                 mae.loc[seeds, "mae"].std()))
    log(f"\nMAE of next-month returns, {test[0].date()}..{test[-1].date()} (all assets):")
    log(format_table(mae))
    log(f"\nbacktests {test[0].date()}..{end.date()}, market-on-close fills, IB fees, slippage {slippage:.2%}:")
    log(format_table(table))
    log("\nthe source's table (2021-2025, no costs):\n" + format_table(SOURCE_TABLE))
    log("\ntraining seconds per family (whole timeline): " + json.dumps({k: round(v, 1)
                                                                       for k, v in seconds.items()}))
    return {"mae": mae, "table": table, "seconds": seconds, "results": results, "weights": weights,
            "forecasts": forecasts, "panel": panel}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prices")
    parser.add_argument("--fred")
    parser.add_argument("--backtests", nargs="+", metavar="NAME=DIR",
                        help="tabulate finished qclocal backtests instead of training")
    parser.add_argument("--etf-set", default="spdr9")
    parser.add_argument("--data-start", default="2000-01-01")
    parser.add_argument("--train-end", default="2014-12-31")
    parser.add_argument("--test-start", default="2015-01-01")
    parser.add_argument("--test-end", default="2020-12-31")
    parser.add_argument("--families", default="ridge,tree,lstm")
    parser.add_argument("--refit", default="yearly", help="yearly, or none: one model cut off after --train-end")
    parser.add_argument("--lstm-size", default="small")
    parser.add_argument("--lstm-seeds", default="0,1,2")
    parser.add_argument("--lstm-epochs", type=int, default=100)
    parser.add_argument("--slippage", type=float, default=0.0005)
    parser.add_argument("--json", help="write the MAE and metrics tables here")
    args = parser.parse_args(argv)
    if args.backtests:
        named = dict(item.split("=", 1) for item in args.backtests)
        print(format_table(qclocal_table(named)))
        return
    if not (args.prices and args.fred):
        parser.error("--prices and --fred are required (or --backtests NAME=DIR ...)")
    lstm = {"size": args.lstm_size, "seeds": tuple(int(s) for s in args.lstm_seeds.split(",")),
            "epochs": args.lstm_epochs}
    out = run_report(args.prices, args.fred, etf_set=args.etf_set, data_start=args.data_start,
                     train_end=args.train_end, test_start=args.test_start, test_end=args.test_end,
                     families=args.families.split(","), lstm=lstm, slippage=args.slippage, refit=args.refit)
    if args.json:
        Path(args.json).write_text(json.dumps({"mae": out["mae"].to_dict(), "table": out["table"].to_dict(),
                                               "seconds": out["seconds"]}, indent=1, default=float))


if __name__ == "__main__":
    main()
