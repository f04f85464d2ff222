"""Out-of-sample diagnostics and the research backtest.

- :func:`score_panel`: each row's gate probabilities from the model whose cutoff is the newest strictly before
  the row's date (the algorithm's as-of rule).
- :func:`reliability`, :func:`hit_rate_by_qpi`: calibration of the probabilities and the hit rate by QPI bucket,
  on validation rows only (data each model never trained on).
- :func:`backtest`: the rules day by day, filling as LEAN does for a daily algorithm: decisions at the close of
  t (features through t) are market-on-open orders filled at the open of t + 1, sized like ``set_holdings`` from
  the close of t; 5 bps commission and 10 bps slippage on each fill. Headline numbers still come from qclocal.
- :func:`performance`: CAR, Sharpe, max drawdown, win rate, turnover and ADV share.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .features import FEATURE_NAMES
from .model import probability
from .rules import Book, Rules, cap_weight, entries, is_bear, target_weight
from .training import TrainedModel

__all__ = ["score_panel", "feature_importance", "reliability", "hit_rate_by_qpi", "BacktestResult", "backtest", "performance",
           "TRADING_DAYS"]

TRADING_DAYS = 252


def score_panel(models: Sequence[TrainedModel], panel: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """``p_long`` / ``p_short`` for the QPI candidates of ``panel`` (NaN elsewhere and before the first cutoff)."""
    out = pd.DataFrame({"p_long": np.nan, "p_short": np.nan}, index=panel.index)
    ordered = sorted(models, key=lambda m: m.cutoff)
    if not ordered:
        return out
    dates = panel.index.get_level_values("date")
    cut = pd.DatetimeIndex([pd.Timestamp(m.cutoff) for m in ordered])
    which = cut.searchsorted(dates.normalize(), side="left") - 1    # newest cutoff strictly before the date
    X = panel[list(FEATURE_NAMES)].to_numpy(dtype=float)
    qpi = panel["qpi"].to_numpy()
    for side, mask in (("long", qpi < rules.qpi_long_max), ("short", qpi > rules.qpi_short_min)):
        for k, model in enumerate(ordered):
            rows = np.flatnonzero(mask & (which == k))
            if len(rows):
                out.iloc[rows, out.columns.get_loc(f"p_{side}")] = probability(model.models[side], X[rows])
    return out


def feature_importance(models: Sequence[TrainedModel], *, repeats: int = 3, seed: int = 0) -> pd.DataFrame:
    """Permutation importance (drop in validation AUC) per feature and side, averaged over ``models``.

    Measured on each model's own validation rows, so it describes what generalises, not what was memorised.
    """
    from sklearn.inspection import permutation_importance

    rows = []
    for model in models:
        if model.validation is None:
            continue
        for side in ("long", "short"):
            val = model.validation[model.validation["side"] == side]
            if len(val) < 50 or val["label"].nunique() < 2:
                continue
            result = permutation_importance(model.models[side], val[list(FEATURE_NAMES)].to_numpy(float),
                                            val["label"].to_numpy(int), scoring="roc_auc", n_repeats=repeats,
                                            random_state=seed)
            rows += [(side, name, float(v)) for name, v in zip(FEATURE_NAMES, result.importances_mean, strict=False)]
    frame = pd.DataFrame(rows, columns=["side", "feature", "auc_drop"])
    if frame.empty:
        return pd.DataFrame(index=pd.Index(FEATURE_NAMES, name="feature"), columns=["long", "short"], dtype=float)
    return frame.pivot_table(index="feature", columns="side", values="auc_drop", aggfunc="mean").reindex(
        list(FEATURE_NAMES))


def reliability(y: np.ndarray, p: np.ndarray, bins: Sequence[float] = (0, .4, .45, .5, .55, .6, .65, .7, 1.0)
                ) -> pd.DataFrame:
    """Mean predicted probability, observed frequency and count per probability bin (a reliability curve)."""
    frame = pd.DataFrame({"p": np.asarray(p, float), "y": np.asarray(y, float)})
    frame["bin"] = pd.cut(frame["p"], list(bins), include_lowest=True)
    table = frame.groupby("bin", observed=True).agg(mean_p=("p", "mean"), observed=("y", "mean"), n=("y", "size"))
    return table


def hit_rate_by_qpi(rows: pd.DataFrame, buckets: Sequence[float] = (0, 5, 10, 15, 30, 70, 85, 90, 95, 100)
                    ) -> pd.DataFrame:
    """Share of rows whose forward return went up, mean forward return and count per QPI bucket."""
    frame = rows[["qpi", "fwd"]].dropna()
    frame = frame.assign(bucket=pd.cut(frame["qpi"], list(buckets), include_lowest=True), up=frame["fwd"] > 0)
    return frame.groupby("bucket", observed=True).agg(up_rate=("up", "mean"), mean_fwd=("fwd", "mean"),
                                                      n=("fwd", "size"))


@dataclass
class BacktestResult:
    equity: pd.Series                                  # portfolio value at each close
    trades: pd.DataFrame                               # closed round trips: ticker, side, entry, exit, pnl, reason
    fills: pd.DataFrame                                # every fill: date, ticker, quantity, price, value, adv_share
    counts: pd.DataFrame                               # longs, shorts, gross exposure, bear, at each close
    stats: dict[str, float] = field(default_factory=dict)


def backtest(open_: pd.DataFrame, close: pd.DataFrame, volume: pd.DataFrame, qpi: pd.DataFrame,
             p_long: pd.DataFrame | None, p_short: pd.DataFrame | None, vix: pd.Series, rules: Rules, *,
             start: str | pd.Timestamp, end: str | pd.Timestamp, cash: float = 1_000_000.0) -> BacktestResult:
    """Run the rules over ``[start, end]`` on wide frames (dates x tickers, split-adjusted), LEAN-style fills.

    ``p_long`` / ``p_short`` are the as-of gate probabilities (:func:`score_panel`, unstacked); they are ignored
    when ``rules.use_gate`` is False. ``vix`` is the daily VIX close.
    """
    days = close.index[(close.index >= pd.Timestamp(start)) & (close.index <= pd.Timestamp(end))]
    if len(days) < 2:
        raise ValueError(f"no trading days between {start} and {end} in the data")
    vix = vix.reindex(close.index)
    vix_sma = vix.rolling(int(rules.vix_window)).mean()
    adv = (close * volume).rolling(int(rules.adv_window)).mean()
    last_close = close.ffill()
    commission, slippage = rules.commission_bps / 1e4, rules.slippage_bps / 1e4
    book = Book(rules)
    shares: dict[str, float] = {}
    cost_basis: dict[str, float] = {}
    pending: list[tuple[str, float, str, str, float]] = []   # (ticker, quantity, side, "entry" | reason, ADV $)
    cash_now = float(cash)
    equity, fills, trades, counts = [], [], [], []
    for day in days:
        o, c = open_.loc[day], close.loc[day]
        # 1. market-on-open fills of yesterday's decisions
        for ticker, qty, side, why, adv_day in pending:
            price = o.get(ticker, np.nan)
            if not (np.isfinite(price) and price > 0):
                continue                                # no bar: LEAN would leave the order open; we drop it
            fill = price * (1 + slippage * np.sign(qty))
            value = qty * fill
            fee = abs(value) * commission
            cash_now -= value + fee
            held = shares.get(ticker, 0.0) + qty
            fills.append((day, ticker, qty, fill, abs(value), fee, abs(value) / adv_day if adv_day > 0 else np.nan))
            if why == "entry":
                book.open(ticker, side, fill)
                cost_basis[ticker] = value + fee
            else:
                pnl = -value - fee - cost_basis.pop(ticker, 0.0)      # proceeds less entry cost, fees included
                trades.append((ticker, book.positions[ticker].side, day, pnl, why))
                book.close(ticker)
            if abs(held) < 1e-9:
                shares.pop(ticker, None)
            else:
                shares[ticker] = held
        pending = []
        # 2. the close: mark to market, then decide
        marks = last_close.loc[day].reindex(list(shares))
        value_now = cash_now + float(sum(q * marks[t] for t, q in shares.items()))
        equity.append((day, value_now))
        closes = {t: float(c[t]) for t in book.positions if t in c.index}
        exits = book.on_close(closes)
        exiting = {t for t, _ in exits}
        for ticker, reason in exits:
            pending.append((ticker, -shares.get(ticker, 0.0), book.positions[ticker].side, reason,
                            float(adv.at[day, ticker])))
        bear = is_bear(float(vix.at[day]), float(vix_sma.at[day]), rules)
        n_long = sum(1 for t, p in book.positions.items() if p.side == "long" and t not in exiting)
        n_short = sum(1 for t, p in book.positions.items() if p.side == "short" and t not in exiting)
        gate_long = p_long.loc[day] if (rules.use_gate and p_long is not None and day in p_long.index) else None
        gate_short = p_short.loc[day] if (rules.use_gate and p_short is not None and day in p_short.index) else None
        longs, shorts = entries(qpi.loc[day], gate_long, gate_short, book.positions, n_long, n_short, rules)
        for side, names in (("long", longs), ("short", shorts)):
            weight = target_weight(side, bear, rules)
            for ticker in names:
                dollars = float(adv.at[day, ticker])
                w = cap_weight(weight, dollars, value_now, rules)
                qty = math.trunc(w * value_now / float(c[ticker])) if c[ticker] > 0 else 0
                if qty != 0:
                    pending.append((ticker, float(qty), side, "entry", dollars))
        gross = float(sum(abs(q * marks[t]) for t, q in shares.items())) / value_now if value_now else 0.0
        queued = [side for _, _, side, why, _ in pending if why == "entry"]
        counts.append((day, n_long + queued.count("long"), n_short + queued.count("short"), gross, bear))
    result = BacktestResult(
        equity=pd.Series(dict(equity), name="equity"),
        trades=pd.DataFrame(trades, columns=["ticker", "side", "exit_date", "pnl", "reason"]),
        fills=pd.DataFrame(fills, columns=["date", "ticker", "quantity", "price", "value", "fee", "adv_share"]),
        counts=pd.DataFrame(counts, columns=["date", "longs", "shorts", "gross", "bear"]).set_index("date"))
    result.stats = performance(result)
    return result


def performance(result: BacktestResult) -> dict[str, float]:
    """CAR, annualised Sharpe (daily, no risk-free), max drawdown, win rate, annual turnover, ADV share."""
    eq = result.equity
    rets = eq.pct_change().dropna()
    years = max(len(eq) - 1, 1) / TRADING_DAYS
    car = (eq.iloc[-1] / eq.iloc[0]) ** (1 / years) - 1 if eq.iloc[0] > 0 and eq.iloc[-1] > 0 else float("nan")
    sharpe = rets.mean() / rets.std() * math.sqrt(TRADING_DAYS) if rets.std() > 0 else float("nan")
    drawdown = float((eq / eq.cummax() - 1).min())
    trades = result.trades
    traded = float(result.fills["value"].sum()) if len(result.fills) else 0.0
    adv_share = result.fills["adv_share"].dropna()
    return {
        "car": float(car), "sharpe": float(sharpe), "max_drawdown": -drawdown,
        "win_rate": float((trades["pnl"] > 0).mean()) if len(trades) else float("nan"),
        "trades": int(len(trades)),
        "turnover": traded / float(eq.mean()) / years,
        "adv_share_mean": float(adv_share.mean()) if len(adv_share) else float("nan"),
        "adv_share_max": float(adv_share.max()) if len(adv_share) else float("nan"),
        "final_equity": float(eq.iloc[-1]),
    }
