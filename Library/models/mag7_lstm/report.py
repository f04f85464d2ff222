"""Real-data walk-forward evaluation of the Mag7 LSTM on ``../shared/market-data`` (research only).

One warm-started timeline of seed ensembles (annual refits by default; quarterly or monthly on request), with
cutoffs from ``warmup_start`` to the end. Two judgements, kept apart:

- **validation** (inside the training period): each model's validation samples (labels starting after its
  cutoff, never fitted), every 5 bars, purged so no label runs past ``train_end`` (2016-12-31): IC per date of
  the ensemble and of each seed, with Newey-West t-statistics for the overlapping 21-bar labels. Variants
  (``--loss``, ``--pool``) are compared here only; ``--validation-only`` stops after it.
- **test** (2017-2020): each month start scored by the newest model whose cutoff precedes it; IC per seed and of
  the ensemble, of 12-1 momentum and of random scores; the rule's research backtest driven by each, next to QQQ
  buy-and-hold and a monthly equal-weight Mag7 portfolio.

Prices: ``ohlcv/<T>.csv.gz`` OHLC scaled by ``Adj Close / Close`` (split- and dividend-adjusted, like LEAN's
default ``history()``); BIL from ``close/BIL.csv.gz``. ``META.csv.gz`` holds Meta's history as FB. ``--pool``
adds the names of ``universe.txt`` (the 400 most liquid by 2018-2020 volume: chosen with hindsight) to the fit.

    python -m models.mag7_lstm.report --data ../shared/market-data [--loss listnet] [--pool] [--object-store DIR]

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
    information_coefficients,
    member_score_panels,
    overlap_lags,
    seed_ic_table,
    validation_ic,
)
from .persistence import save_timeline
from .rules import momentum_panel, month_starts, random_scores, rebalance_cutoffs
from .training import SEEDS, train_timeline

__all__ = ["UNIVERSE", "load_adjusted_ohlc", "load_close", "load_pool", "run_report", "skill_statement", "main", "plot_equity", "plot_ic",
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


def load_pool(root: str | Path, *, exclude: tuple[str, ...] = UNIVERSE) -> dict[str, pd.DataFrame]:
    """Adjusted OHLC of the names in ``universe.txt`` that have an ``ohlcv`` file, without ``exclude``."""
    names = [t.strip() for t in (Path(root) / "universe.txt").read_text().split() if t.strip()]
    return {t: load_adjusted_ohlc(root, t) for t in names
            if t not in exclude and (Path(root) / "ohlcv" / f"{t}.csv.gz").is_file()}


SKILL_T = 2.0  # the Newey-West t an ensemble's mean IC must pass to count as skill


def skill_statement(table: pd.DataFrame, where: str) -> str:
    """One plain sentence from a :func:`~.evaluation.seed_ic_table`: does the ensemble rank with skill?"""
    ens = table.loc["ensemble"]
    seeds = table.loc[[i for i in table.index if str(i).startswith("seed_")], "ic_t_hac"]
    verdict = "shows skill" if ens["ic_t_hac"] > SKILL_T else "shows no skill"
    return (f"the ranker {verdict} on {where}: ensemble IC {ens['ic_mean']:+.3f}, Newey-West t "
            f"{ens['ic_t_hac']:+.2f} (skill needs t > {SKILL_T:g}); the seeds' t from {seeds.min():+.2f} to "
            f"{seeds.max():+.2f}")


def run_report(data: str | Path, *, refit: str = "annual", warmup_start: str = "2013-01-01",
               train_end: str = "2016-12-31", start: str = "2017-01-01", end: str = "2020-12-11",
               arch: str = "small", loss: str = "mse", pool: bool = False, pool_stride: int = 21, seeds: int = SEEDS, epochs: int = 8,
               first_epochs: int | None = 16, seed: int = 0, cost_bps: float = 1.0, validation_only: bool = False,
               frozen: bool = False,
               object_store: str | Path | None = None, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train the timeline, judge it on validation (and, unless ``validation_only``, on the test period), print;
    returns the numbers."""
    if log is None:
        def log(line: str) -> None:
            print(line, flush=True)
    last = pd.Timestamp(train_end if validation_only else end)
    bars = {t: load_adjusted_ohlc(data, t).loc[:last] for t in UNIVERSE}
    extra = {t: b.loc[:last] for t, b in load_pool(data).items()} if pool else None
    end_stamp = min(last, *(b.index[-1] for b in bars.values()))
    calendar = bars["AAPL"].index
    cutoffs = rebalance_cutoffs(calendar, warmup_start, end_stamp, refit)  # type: ignore[arg-type]
    if frozen:  # no refit after the one serving the first test rebalance: trained to train_end, tested after
        first_test = month_starts(calendar, start, end_stamp)[0]
        cutoffs = [c for c in cutoffs if pd.Timestamp(c) < first_test]
    validation_days = {"annual": 252, "quarterly": 63, "monthly": 21}[refit]
    log(f"mag7_lstm report: {len(cutoffs)} {refit} refits ({cutoffs[0]} .. {cutoffs[-1]}), arch {arch}, loss "
        f"{loss}, {seeds} seeds from {seed}, pool {len(extra or {})} names, {epochs} epochs each "
        f"({first_epochs or epochs} for the first), warm start; data to {end_stamp.date()}")
    started = time.perf_counter()
    models = train_timeline(bars, cutoffs, None, epochs=epochs, first_epochs=first_epochs, arch=arch, loss=loss,
                            seed=seed, seeds=seeds, pool=extra, pool_stride=pool_stride, validation_days=validation_days, log=log)
    train_seconds = time.perf_counter() - started
    if object_store is not None:
        from qclocal.object_store import ObjectStore  # research tooling only: never imported by the library

        keys = save_timeline(ObjectStore(object_store), models, replace=True)
        log(f"saved {len(keys)} models to {object_store}")
    lags = overlap_lags(models[0].hyperparameters["horizon"], models[0].hyperparameters["stride"])
    validation = seed_ic_table(validation_ic(models, bars, until=train_end), lags)
    log(f"\nvalidation IC (purged at {train_end}; Newey-West t with {lags} lags):")
    log(validation.to_string(float_format=lambda v: f"{v:.4f}"))
    log(skill_statement(validation, f"validation (to {train_end})"))
    out: dict[str, Any] = {"validation": validation.to_dict(orient="index"), "train_seconds": train_seconds,
                           "refits": len(models), "cutoffs": [str(c) for c in cutoffs], "models": models,
                           "settings": {"refit": refit, "frozen": frozen, "loss": loss, "pool": len(extra or {}), "pool_stride": pool_stride, "seeds": seeds,
                                        "epochs": epochs, "first_epochs": first_epochs, "arch": arch}}
    log(f"training wall time: {train_seconds:.0f}s for {len(models)} refits x {seeds} seeds")
    if validation_only:
        return out

    qqq = load_adjusted_ohlc(data, "QQQ")
    bil = load_close(data, "BIL")
    rebalance = month_starts(calendar, start, end_stamp)
    closes = pd.DataFrame({t: b["close"] for t, b in bars.items()})
    scored = rebalance[rebalance <= calendar[-22]]  # dates with a complete 21-bar forward window
    realised = forward_returns(closes, scored)
    panels = member_score_panels(models, bars, rebalance)
    momentum = momentum_panel(closes, rebalance)
    random = pd.DataFrame({d: random_scores(UNIVERSE, d) for d in rebalance}).T
    ic = pd.DataFrame({name: information_coefficients(p.loc[scored], realised) for name, p in panels.items()})
    test = seed_ic_table(ic, 1)
    for name, panel in (("momentum_12_1", momentum), ("random_scores", random)):
        test.loc[name] = seed_ic_table(information_coefficients(panel.loc[scored], realised).to_frame(name), 1
                                       ).loc[name]
    log(f"\ntest IC, {scored[0].date()} .. {scored[-1].date()} ({len(scored)} month starts; Newey-West t, 1 lag):")
    log(test.to_string(float_format=lambda v: f"{v:.4f}"))
    log(skill_statement(test, f"the test period ({scored[0].date()} .. {scored[-1].date()})"))
    first = rebalance[0]
    results = {
        "lstm_ensemble": backtest_rule(bars, panels["ensemble"], start=first, treasury=bil, cost_bps=cost_bps),
        "momentum_12_1": backtest_rule(bars, momentum, start=first, treasury=bil, cost_bps=cost_bps),
        "random_scores": backtest_rule(bars, random, start=first, treasury=bil, cost_bps=cost_bps),
        "qqq_buy_and_hold": buy_and_hold(qqq.loc[:end_stamp], start=first, cost_bps=cost_bps),
        "equal_weight_mag7": equal_weight(bars, rebalance, start=first, cost_bps=cost_bps),
    }
    table = comparison_table(results)
    log(f"\nresearch backtest {first.date()} .. {end_stamp.date()}, $10,000, LEAN's fills (rebalances at the "
        f"day's close, stops at the next open), {cost_bps:g} bp per trade:")
    log(_fmt(table))
    out.update({"test": test.to_dict(orient="index"), "performance": table.to_dict(orient="index"),
                "scores": {**panels, "momentum_12_1": momentum}, "results": results})
    return out


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
    parser.add_argument("--refit", choices=("monthly", "quarterly", "annual"), default="annual")
    parser.add_argument("--arch", choices=("small", "source"), default="small")
    parser.add_argument("--loss", choices=("mse", "demeaned", "listnet"), default="mse")
    parser.add_argument("--pool", action="store_true", help="add universe.txt's names to every fit")
    parser.add_argument("--pool-stride", type=int, default=21, help="bars between a pooled name's samples")
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--seed", type=int, default=0, help="the first member's seed")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--first-epochs", type=int, default=16)
    parser.add_argument("--warmup-start", default="2013-01-01")
    parser.add_argument("--train-end", default="2016-12-31", help="last day of validation labels")
    parser.add_argument("--start", default="2017-01-01")
    parser.add_argument("--end", default="2020-12-11")
    parser.add_argument("--validation-only", action="store_true", help="train to --train-end and judge there")
    parser.add_argument("--frozen", action="store_true", help="no refit after the first test rebalance's model")
    parser.add_argument("--object-store", help="save the timeline to this ObjectStore folder (replacing it)")
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args(argv)
    report = run_report(args.data, refit=args.refit, warmup_start=args.warmup_start, train_end=args.train_end,
                        start=args.start, end=args.end, arch=args.arch, loss=args.loss, pool=args.pool,
                        pool_stride=args.pool_stride, seeds=args.seeds, epochs=args.epochs,
                        first_epochs=args.first_epochs, seed=args.seed,
                        validation_only=args.validation_only, frozen=args.frozen, object_store=args.object_store)
    if args.json:
        keep = {k: report[k] for k in ("validation", "test", "performance", "train_seconds", "refits", "cutoffs",
                                       "settings") if k in report}
        keep["validation_ic_by_cutoff"] = {str(m.cutoff): m.metrics.get("validation_ic_by_date")
                                           for m in report["models"]}
        Path(args.json).write_text(json.dumps(keep, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
