"""Real-data walk-forward evaluation of the Mag7 LSTM on ``../shared/market-data`` (research only).

Refits (monthly or quarterly, warm-started) with cutoffs from ``warmup_start`` through 2016 build the model; the
refits from 2017 on, each trained only on bars before its cutoff, score 2017-2020 out of sample. The report
prints the ranking quality (IC, hit rate, top-4 minus bottom-4) of the LSTM and of 12-1 momentum, and the rule's
backtest driven by each, next to QQQ buy-and-hold and a monthly equal-weight Mag7 portfolio.

Prices: ``ohlcv/<T>.csv.gz`` OHLC scaled by ``Adj Close / Close`` (split- and dividend-adjusted, like LEAN's
default ``history()``); BIL from ``close/BIL.csv.gz``. ``META.csv.gz`` holds Meta's history as FB.

    python -m models.mag7_lstm.report --data ../shared/market-data --refit quarterly

Plots (:func:`plot_equity`, :func:`plot_ic`, :func:`plot_weights`) return a ``matplotlib.figure.Figure`` (no pyplot
state; works headless); matplotlib is imported inside them, so the rest of the library does not need it.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .evaluation import (
    backtest_rule,
    buy_and_hold,
    comparison_table,
    equal_weight,
    forward_returns,
    ranking_summary,
)
from .model import lstm_score_panel
from .rules import momentum_panel, month_starts, random_scores, rebalance_cutoffs
from .training import train_timeline

__all__ = ["UNIVERSE", "load_adjusted_ohlc", "load_close", "run_report", "main", "plot_equity", "plot_ic",
           "plot_weights"]

UNIVERSE = ("AAPL", "MSFT", "GOOGL", "AMZN", "META", "TSLA", "NVDA", "AMD")


def load_adjusted_ohlc(root: str | Path, ticker: str) -> pd.DataFrame:
    """``ohlcv/<ticker>.csv.gz`` with open/high/low/close scaled by Adj Close / Close; lowercase columns."""
    path = Path(root) / "ohlcv" / f"{ticker}.csv.gz"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: point --data at the shared market-data folder")
    raw = pd.read_csv(path, parse_dates=["Date"], index_col="Date").sort_index()
    raw = raw[~raw.index.duplicated(keep="last")].dropna(subset=["Open", "High", "Low", "Close", "Adj Close"])
    factor = raw["Adj Close"] / raw["Close"]
    out = pd.DataFrame({c.lower(): raw[c] * factor for c in ("Open", "High", "Low", "Close")})
    out["volume"] = raw["Volume"]
    out = out[(out[["open", "high", "low", "close"]] > 0).all(axis=1)]
    out["high"] = out[["open", "high", "low", "close"]].max(axis=1)  # a few Yahoo bars have open outside
    out["low"] = out[["open", "high", "low", "close"]].min(axis=1)
    out.index.name = "date"
    return out


def load_close(root: str | Path, ticker: str) -> pd.Series:
    path = Path(root) / "close" / f"{ticker}.csv.gz"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: point --data at the shared market-data folder")
    frame = pd.read_csv(path, parse_dates=["Date"], index_col="Date").sort_index()
    return frame["Close"].dropna().rename(ticker)


def _fmt(table: pd.DataFrame) -> str:
    shown = table.copy()
    for col in ("car", "volatility", "max_drawdown", "turnover"):
        if col in shown:
            shown[col] = shown[col].map(lambda v: f"{100 * v:.2f}%")
    for col in ("sharpe", "sortino"):
        if col in shown:
            shown[col] = shown[col].map(lambda v: f"{v:.3f}")
    for col in ("orders", "fees", "end_equity"):
        if col in shown:
            shown[col] = shown[col].map(lambda v: f"{v:,.0f}")
    return shown.to_string()


def run_report(data: str | Path, *, refit: str = "quarterly", warmup_start: str = "2015-01-01",
               start: str = "2017-01-01", end: str = "2020-12-11", arch: str = "small", epochs: int = 8,
               first_epochs: int | None = 16, seed: int = 0, cost_bps: float = 1.0,
               log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train the timeline, score, backtest, print; returns the numbers (ranking, performance, timings)."""
    if log is None:
        def log(line: str) -> None:
            print(line, flush=True)
    bars = {t: load_adjusted_ohlc(data, t) for t in UNIVERSE}
    qqq = load_adjusted_ohlc(data, "QQQ")
    bil = load_close(data, "BIL")
    end_stamp = min(pd.Timestamp(end), *(b.index[-1] for b in bars.values()))
    bars = {t: b.loc[:end_stamp] for t, b in bars.items()}
    calendar = bars["AAPL"].index
    cutoffs = rebalance_cutoffs(calendar, warmup_start, end_stamp, refit)  # type: ignore[arg-type]
    log(f"mag7_lstm report: {len(cutoffs)} {refit} refits ({cutoffs[0]} .. {cutoffs[-1]}), arch {arch}, "
        f"{epochs} epochs each ({first_epochs or epochs} for the first), warm start; data to {end_stamp.date()}")
    started = time.perf_counter()
    models = train_timeline(bars, cutoffs, None, epochs=epochs, first_epochs=first_epochs, arch=arch, seed=seed,
                            validation_days=63, log=log)
    train_seconds = time.perf_counter() - started

    rebalance = month_starts(calendar, start, end_stamp)
    closes = pd.DataFrame({t: b["close"] for t, b in bars.items()})
    scored = rebalance[rebalance <= calendar[-22]]  # dates with a complete 21-bar forward window
    realised = forward_returns(closes, scored)
    lstm = lstm_score_panel(models, bars, rebalance)
    momentum = momentum_panel(closes, rebalance)
    ranking = {"lstm": ranking_summary(lstm.loc[scored], realised),
               "momentum_12_1": ranking_summary(momentum.loc[scored], realised)}
    log("\nranking, out of sample " f"{scored[0].date()} .. {scored[-1].date()} ({len(scored)} month starts):")
    log(pd.DataFrame(ranking).T.to_string(float_format=lambda v: f"{v:.4f}"))

    first = rebalance[0]
    results = {
        "lstm": backtest_rule(bars, lstm, start=first, treasury=bil, cost_bps=cost_bps),
        "lstm_vol_target_12": backtest_rule(bars, lstm, start=first, treasury=bil, vol_target=0.12,
                                            cost_bps=cost_bps),
        "lstm_next_open_fills": backtest_rule(bars, lstm, start=first, treasury=bil, fill="open",
                                              cost_bps=cost_bps),
        "momentum_12_1": backtest_rule(bars, momentum, start=first, treasury=bil, cost_bps=cost_bps),
        "random_scores": backtest_rule(bars, pd.DataFrame({d: random_scores(UNIVERSE, d) for d in rebalance}).T,
                                       start=first, treasury=bil, cost_bps=cost_bps),
        "qqq_buy_and_hold": buy_and_hold(qqq.loc[:end_stamp], start=first, cost_bps=cost_bps),
        "equal_weight_mag7": equal_weight(bars, rebalance, start=first, cost_bps=cost_bps),
    }
    table = comparison_table(results)
    log(f"\nbacktest {first.date()} .. {end_stamp.date()}, $10,000, LEAN's fills (rebalances at the day's close, "
        f"stops at the next open), "
        f"{cost_bps:g} bp per trade:")
    log(_fmt(table))
    log(f"\ntraining wall time: {train_seconds:.0f}s for {len(models)} refits "
        f"({train_seconds / len(models):.1f}s each)")
    in_bil = float((results["lstm"].weights["BIL"] > 0.5).mean())
    log(f"LSTM rule: {100 * in_bil:.0f}% of days mostly in BIL; stop exits "
        f"{int((results['lstm'].orders['reason'] == 'stop').sum())}")
    return {"ranking": ranking, "performance": table.to_dict(orient="index"),
            "train_seconds": train_seconds, "refits": len(models), "cutoffs": [str(c) for c in cutoffs],
            "validation_ic": {str(m.cutoff): m.metrics.get("validation_ic_by_date") for m in models},
            "models": models, "scores": {"lstm": lstm, "momentum_12_1": momentum}, "results": results}


def _figure(width: float = 9.0, height: float = 4.0) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def plot_equity(curves: Mapping[str, pd.Series | Any], *, title: str = "Equity (log scale)") -> Any:
    """Equity curves (Series, or results with ``.equity``), rebased to 1, on a log axis."""
    fig = _figure()
    ax = fig.add_subplot()
    for name, curve in curves.items():
        series = getattr(curve, "equity", curve).dropna()
        ax.plot(series.index, series / series.iloc[0], label=name)
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return fig


def plot_ic(ic: pd.Series | Mapping[str, pd.Series], *, title: str = "Information coefficient per rebalance"
            ) -> Any:
    """Per-date IC bars (one Series) or lines (several), with each series' running mean."""
    fig = _figure()
    ax = fig.add_subplot()
    series = {"IC": ic} if isinstance(ic, pd.Series) else dict(ic)
    for name, values in series.items():
        values = values.dropna()
        if len(series) == 1:
            ax.bar(values.index, values.to_numpy(), width=20, alpha=0.5, label=name)
        else:
            ax.plot(values.index, values.to_numpy(), alpha=0.4, label=name)
        ax.plot(values.index, values.expanding().mean().to_numpy(), linewidth=2, label=f"{name} running mean")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_title(title)
    ax.legend(loc="upper left")
    return fig


def plot_weights(weights: pd.DataFrame, *, title: str = "End-of-day weights") -> Any:
    """Stacked area of the portfolio weights over time (cash is the gap below 1)."""
    fig = _figure()
    ax = fig.add_subplot()
    shown = weights.loc[:, weights.abs().sum() > 0].clip(lower=0)
    ax.stackplot(shown.index, shown.T.to_numpy(), labels=list(shown.columns))
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(loc="upper left", ncol=5, fontsize="small")
    return fig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.mag7_lstm.report", description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/market-data", help="the shared market-data folder")
    parser.add_argument("--refit", choices=("monthly", "quarterly"), default="quarterly")
    parser.add_argument("--arch", choices=("small", "source"), default="small")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--first-epochs", type=int, default=16)
    parser.add_argument("--warmup-start", default="2015-01-01")
    parser.add_argument("--start", default="2017-01-01")
    parser.add_argument("--end", default="2020-12-11")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args(argv)
    report = run_report(args.data, refit=args.refit, warmup_start=args.warmup_start, start=args.start,
                        end=args.end, arch=args.arch, epochs=args.epochs, first_epochs=args.first_epochs,
                        seed=args.seed)
    if args.json:
        keep = {k: report[k] for k in ("ranking", "performance", "train_seconds", "refits", "cutoffs",
                                       "validation_ic")}
        Path(args.json).write_text(json.dumps(keep, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
