"""Out-of-sample signals, classification metrics, baselines and the research backtest (LEAN's fills and fees).

- :func:`out_of_sample`: per date, the spread, z, P and label under the *as-of* model (newest cutoff strictly
  before the date), as the algorithm sees them.
- :func:`classification`: accuracy, F1, the confusion matrix and the base-rate F1 (always predicting 1:
  ``2p / (1 + p)``), and :func:`calibration` of P.
- :func:`engle_granger`: statsmodels' cointegration test of log prices on a training window.
- :func:`backtest_pair`: both legs as orders decided after the close and filled at the next open
  (market-on-open), Interactive Brokers fees as LEAN charges them, the same :class:`~.rules.PairTrader` as the
  algorithm. :func:`combine` sums pairs into one account.
- :func:`evaluate_test`: all of the above for every pair over a test window (the notebook and the report CLI).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dates import as_timestamp
from .dataset import reversion_labels
from .features import spread, zscore
from .rules import PairTrader, RuleParameters, leg_quantities
from .training import TrainedPair

__all__ = ["out_of_sample", "classification", "calibration", "engle_granger", "ib_fee", "PairBacktest",
           "backtest_pair", "combine", "trade_summary", "TestEvaluation", "evaluate_test"]


def out_of_sample(closes: pd.DataFrame, models: Sequence[TrainedPair], start, end) -> pd.DataFrame:
    """Signals of one pair on the sessions in ``[start, end]``, each from the newest model with a cutoff
    strictly before it. Columns: spread, z, probability, threshold, hedge_ratio, label, cutoff."""
    lo, hi = as_timestamp(start, "start"), as_timestamp(end, "end")
    models = sorted(models, key=lambda m: m.cutoff)
    if not models:
        raise ValueError("out_of_sample: no models")
    spec = models[0].spec
    frame = closes[[spec.a, spec.b]].dropna()
    days = frame.index[(frame.index >= lo) & (frame.index <= hi)]
    cutoffs = pd.DatetimeIndex([pd.Timestamp(m.cutoff) for m in models])
    which = cutoffs.searchsorted(days.normalize(), side="left") - 1
    if (which < 0).any():
        raise ValueError(f"{spec.name}: no model with a cutoff before {days[which < 0][0].date()} "
                         f"(first cutoff {models[0].cutoff})")
    parts = []
    for k, model in enumerate(models):
        rows = days[which == k]
        if len(rows) == 0:
            continue
        s = spread(frame, model.stats)
        part = pd.DataFrame({"spread": s, "z": zscore(s, model.stats),
                             "probability": model.probabilities(frame),
                             "label": reversion_labels(s, model.stats.spread_mean, spec.window, spec.threshold)}
                            ).reindex(rows)
        part["threshold"] = model.probability_threshold
        part["hedge_ratio"] = model.stats.hedge_ratio
        part["cutoff"] = pd.Timestamp(model.cutoff)
        parts.append(part)
    return pd.concat(parts)


def classification(y: np.ndarray | pd.Series, prob: np.ndarray | pd.Series, threshold: float) -> dict:
    """Accuracy, F1, base-rate F1, confusion matrix ``[[tn, fp], [fn, tp]]`` on the rows with a label and P."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    y, prob = np.asarray(y, dtype=float), np.asarray(prob, dtype=float)
    ok = np.isfinite(y) & np.isfinite(prob)
    y, pred = y[ok].astype(int), (prob[ok] > threshold).astype(int)
    p = float(y.mean()) if len(y) else float("nan")
    return {"n": int(len(y)), "positive_rate": p, "accuracy": float(accuracy_score(y, pred)) if len(y) else None,
            "f1": float(f1_score(y, pred, zero_division=0)) if len(y) else None,
            "f1_base_rate": 2 * p / (1 + p) if len(y) else None,
            "confusion": confusion_matrix(y, pred, labels=[0, 1]).tolist() if len(y) else None}


def calibration(y: np.ndarray | pd.Series, prob: np.ndarray | pd.Series, bins: int = 5) -> pd.DataFrame:
    """Mean P against the observed frequency of label 1 in ``bins`` quantile bins of P."""
    frame = pd.DataFrame({"y": np.asarray(y, dtype=float), "p": np.asarray(prob, dtype=float)}).dropna()
    if frame.empty:
        return pd.DataFrame(columns=["mean_probability", "observed", "n"])
    frame["bin"] = pd.qcut(frame["p"], bins, duplicates="drop")
    out = frame.groupby("bin", observed=True).agg(mean_probability=("p", "mean"), observed=("y", "mean"),
                                                  n=("y", "size"))
    return out.reset_index(drop=True)


def engle_granger(closes: pd.DataFrame, start=None, end=None) -> dict:
    """statsmodels' Engle-Granger test (``coint``) of log A on log B over ``[start, end)``."""
    from statsmodels.tsa.stattools import coint

    frame = closes.dropna()
    if start is not None:
        frame = frame[frame.index >= as_timestamp(start, "start")]
    if end is not None:
        frame = frame[frame.index < as_timestamp(end, "end")]
    log = np.log(frame.astype(float))
    stat, pvalue, crit = coint(log.iloc[:, 0], log.iloc[:, 1])
    return {"t_stat": float(stat), "p_value": float(pvalue), "critical_5pct": float(crit[1]),
            "cointegrated_5pct": bool(pvalue < 0.05), "n": int(len(frame))}


def ib_fee(quantity: float, price: float) -> float:
    """LEAN's InteractiveBrokersFeeModel for US equities: $0.005 a share, at least $1, at most 0.5% of value."""
    fee = 0.005 * abs(quantity)
    if fee < 1.0:
        return 1.0
    return min(fee, 0.005 * abs(quantity) * price)


@dataclass
class PairBacktest:
    """One pair's research backtest: ``orders`` (one row per leg fill), ``trades`` (decisions) and the daily
    PnL marked at the closes, after fees (``pnl``)."""

    orders: pd.DataFrame
    trades: pd.DataFrame
    pnl: pd.Series


def backtest_pair(opens: pd.DataFrame, closes: pd.DataFrame, signals: pd.DataFrame, rules: RuleParameters, *,
                  use_probability: bool = True) -> PairBacktest:
    """Trade one pair over ``signals``' dates (columns z, probability, threshold, hedge_ratio, as from
    :func:`out_of_sample`). ``opens`` and ``closes`` have the two legs as columns (A, B)."""
    legs = list(closes.columns)
    trader = PairTrader(rules)
    position = np.zeros(2)
    cash = 0.0
    pending: list[tuple[np.ndarray, str]] = []
    orders, trades, pnl = [], [], []
    for day, row in signals.iterrows():
        if day not in closes.index:
            continue
        for quantities, tag in pending:      # market-on-open fills
            for leg, qty in zip(legs, quantities, strict=True):
                if qty:
                    price = float(opens.at[day, leg])
                    fee = ib_fee(qty, price)
                    cash -= qty * price + fee
                    orders.append({"time": day, "ticker": leg, "quantity": int(qty), "price": price, "fee": fee,
                                   "tag": tag})
            position += quantities
        pending = []
        price_close = closes.loc[day, legs].to_numpy(dtype=float)
        prob = float(row["probability"]) if use_probability else None
        action = trader.on_close(float(row["z"]), prob, float(row.get("threshold", 0.5)))
        if action is not None:
            if action.kind == "enter":
                notional = rules.notional * (prob if (use_probability and rules.by_probability) else 1.0)
                ratio = float(row["hedge_ratio"]) if rules.hedge == "beta" else 1.0
                quantities = np.array(leg_quantities(action.direction, notional, *price_close, ratio), float)
            else:
                quantities = -position.copy()
            pending.append((quantities, f"{action.kind} {action.reason}"))
            trades.append({"time": day, "kind": action.kind, "direction": action.direction,
                           "reason": action.reason, "z": float(row["z"]), "probability": prob,
                           "quantity_a": int(quantities[0]), "quantity_b": int(quantities[1])})
        pnl.append(cash + float(position @ price_close))
    return PairBacktest(pd.DataFrame(orders, columns=["time", "ticker", "quantity", "price", "fee", "tag"]),
                        pd.DataFrame(trades, columns=["time", "kind", "direction", "reason", "z", "probability",
                                                      "quantity_a", "quantity_b"]),
                        pd.Series(pnl, index=signals.index[signals.index.isin(closes.index)], name="pnl"))


def combine(results: dict[str, PairBacktest], cash: float) -> pd.Series:
    """Account equity: ``cash`` plus every pair's PnL (a pair contributes 0 before its first date)."""
    frame = pd.DataFrame({name: r.pnl for name, r in results.items()}).sort_index().ffill().fillna(0.0)
    return (cash + frame.sum(axis=1)).rename("equity")


def trade_summary(result: PairBacktest) -> dict:
    """Round trips, exits by reason, fees and the final PnL after fees of one pair's backtest."""
    trades = result.trades
    exits = trades[trades["kind"] == "exit"]
    return {"trades": int((trades["kind"] == "enter").sum()),
            "exits_hold": int((exits["reason"] == "hold").sum()),
            "exits_stop": int((exits["reason"] == "stop").sum()),
            "exits_reversion": int((exits["reason"] == "reversion").sum()),
            "fees": float(result.orders["fee"].sum()),
            "pnl": float(result.pnl.iloc[-1]) if len(result.pnl) else 0.0}


@dataclass
class TestEvaluation:
    """Out-of-sample results over a test window: per-pair ``signals``; ``results[rule][pair]`` research
    backtests for the LSTM rule and the plain z-score rule; combined ``equity[rule]``; ``scores`` (F1 at our and
    the source's thresholds, against always-1) and ``trades`` (per pair and rule: trades, fees, PnL)."""

    signals: dict[str, pd.DataFrame]
    results: dict[str, dict[str, PairBacktest]]
    equity: dict[str, pd.Series]
    scores: pd.DataFrame
    trades: pd.DataFrame


def evaluate_test(closes: pd.DataFrame, opens: pd.DataFrame, models: dict[str, Sequence[TrainedPair]],
                  source_thresholds: dict[str, float], start, end, *, stop_z: float = 3.0, hedge: str = "dollar",
                  cash: float = 100_000.0) -> TestEvaluation:
    """Signals, classification scores and both rules' research backtests of every pair in ``models``
    (``{pair: its timeline}``) over ``[start, end]``; each date uses its as-of model."""
    rules = {"lstm": RuleParameters(hold_days=5, stop_z=float(stop_z), hedge=hedge),
             "zscore": RuleParameters(hold_days=0, stop_z=float(stop_z), exit_on_reversion=True, hedge=hedge)}
    signals: dict[str, pd.DataFrame] = {}
    results: dict[str, dict[str, PairBacktest]] = {kind: {} for kind in rules}
    scores, trades = {}, {}
    for name, timeline in models.items():
        spec = timeline[0].spec
        signals[name] = sig = out_of_sample(closes, timeline, start, end)
        scores[name] = {f"{k} ({kind})": v for kind, thr in (("ours", sig["threshold"].iloc[0]),
                                                             ("source thr", source_thresholds[name]))
                        for k, v in classification(sig["label"], sig["probability"], thr).items()
                        if k in ("f1", "accuracy") or (kind == "ours" and k in ("n", "positive_rate",
                                                                              "f1_base_rate"))}
        legs = [spec.a, spec.b]
        for kind, rule in rules.items():
            results[kind][name] = backtest_pair(opens[legs], closes[legs], sig, rule, use_probability=kind == "lstm")
        trades[name] = {f"{k} ({kind})": v for kind in rules for k, v in trade_summary(results[kind][name]).items()
                        if k in ("trades", "fees", "pnl")}
    equity = {kind: combine(results[kind], cash) for kind in rules}
    trades["combined"] = {f"pnl ({kind})": float(equity[kind].iloc[-1] - cash) for kind in rules}
    return TestEvaluation(signals, results, equity, pd.DataFrame.from_dict(scores, orient="index"),
                          pd.DataFrame.from_dict(trades, orient="index"))
