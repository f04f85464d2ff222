"""Ranking quality, the research backtest, and the out-of-sample evaluation of a model timeline.

Ranking: for each rebalance date, the information coefficient (Spearman rank correlation across tickers between
the score and the realised forward return), the sign hit rate, and the mean forward return of the top ``n``
minus the bottom ``n``. The forward return of date ``d`` is the label's: the sum of the daily returns of the
21 bars from the last bar before ``d`` onwards (bars ``p + 1 .. p + 21`` with ``p`` the last bar before ``d``).

Research backtest (:func:`backtest_rule`): A daily loop (the stops are path-dependent) over the trading calendar. On day ``t`` every decision uses closes,
SMA(200) and ATR(20) up to ``t - 1``. First the stops are checked (the source's ``OnData`` on the previous
bar), then, on a rebalance date, :func:`~.rules.select_and_weight` sets the targets and the stops are reset.

``fill="moc"`` (default) fills as the LEAN algorithm does with daily data: a stop decided on ``t - 1``'s bar is
a market-on-open order filled at ``t``'s open; the rebalance decided 30 minutes after ``t``'s open is sized from
the previous close and the equity at it (the last prices LEAN knows then) and fills market-on-close at ``t``'s
close. ``fill="open"``: every order fills at ``t``'s open. BIL, with no open, trades at its previous close. Like
LEAN's set_holdings, adjustments smaller than 0.1% of the portfolio are skipped. Fees are ``cost_bps`` of traded
value. Shares are fractional. Never at the previous close: no order can fill at a price known before it was sent.

:func:`evaluate` (used by the research notebook and the real-data report: score each month start in ``[start, end]`` with its
as-of model (newest cutoff strictly before the date) and with 12-1 momentum, measure the Spearman IC against the
realised 21-bar forward returns, and backtest the rule driven by each next to QQQ buy-and-hold and an
equal-weight Mag7 portfolio rebalanced monthly.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from .dataset import HORIZON, as_timestamp, build_datasets
from .features import atr as atr_indicator
from .features import compute_features, validate_ohlc
from .features import sma as sma_indicator
from .model import lstm_score_panel
from .rules import (
    MAX_POSITION,
    STOP_ATR_MULTIPLE,
    TOP_N,
    TREASURY,
    TrailingStops,
    momentum_panel,
    month_starts,
    select_and_weight,
)

__all__ = ["forward_returns", "information_coefficients", "hit_rate", "top_bottom_spread", "newey_west_t",
           "overlap_lags", "ranking_summary", "member_score_panels", "validation_ic", "seed_ic_table", "performance", "BacktestResult", "backtest_rule", "backtest_weights",
           "buy_and_hold", "equal_weight", "comparison_table", "Study", "evaluate"]

def forward_returns(closes: pd.DataFrame, dates: Iterable[date | datetime | str | pd.Timestamp], *,
                    horizon: int = HORIZON) -> pd.DataFrame:
    """Realised forward return sums (dates x tickers); NaN where the window is not complete in ``closes``."""
    rows = {}
    for when in dates:
        stamp = as_timestamp(when, "date")
        values = {}
        for ticker in closes.columns:
            series = closes[ticker].dropna()
            p = int(series.index.searchsorted(stamp, side="left")) - 1
            if p < 0 or p + horizon >= len(series):
                values[ticker] = np.nan
                continue
            window = series.to_numpy(float)[p: p + horizon + 1]
            values[ticker] = float(np.sum(window[1:] / window[:-1] - 1.0))
        rows[stamp] = values
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(closes.columns))
    frame.index.name = "date"
    return frame


def _aligned(scores: pd.DataFrame, realised: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    index = scores.index.intersection(realised.index)
    columns = scores.columns.intersection(realised.columns)
    s, r = scores.loc[index, columns].astype(float), realised.loc[index, columns].astype(float)
    mask = s.notna() & r.notna()
    return s.where(mask), r.where(mask)


def information_coefficients(scores: pd.DataFrame, realised: pd.DataFrame, *, min_names: int = 3) -> pd.Series:
    """Spearman IC per date over the tickers with both values; dates with fewer than ``min_names`` are NaN."""
    s, r = _aligned(scores, realised)
    out = {}
    for when in s.index:
        a, b = s.loc[when].dropna(), r.loc[when].dropna()
        if len(a) < min_names or a.nunique() < 2 or b.nunique() < 2:
            out[when] = np.nan
            continue
        out[when] = float(a.rank().corr(b.rank()))
    return pd.Series(out, dtype=float, name="ic")


def hit_rate(scores: pd.DataFrame, realised: pd.DataFrame) -> float:
    """Share of (date, ticker) pairs where the score's sign equals the realised return's sign."""
    s, r = _aligned(scores, realised)
    mask = s.notna().to_numpy()
    if not mask.any():
        return float("nan")
    return float(np.mean(np.sign(s.to_numpy()[mask]) == np.sign(r.to_numpy()[mask])))


def top_bottom_spread(scores: pd.DataFrame, realised: pd.DataFrame, *, n: int = 4) -> pd.Series:
    """Per date: mean realised return of the ``n`` best scores minus that of the ``n`` worst.

    Needs at least ``2 n`` names on a date (else NaN), so top and bottom never share a ticker.
    """
    s, r = _aligned(scores, realised)
    out = {}
    for when in s.index:
        a = s.loc[when].dropna()
        if len(a) < 2 * n:
            out[when] = np.nan
            continue
        order = a.sort_values(kind="mergesort", ascending=False).index
        out[when] = float(r.loc[when, order[:n]].mean() - r.loc[when, order[-n:]].mean())
    return pd.Series(out, dtype=float, name=f"top{n}_minus_bottom{n}")


def _t_stat(values: pd.Series) -> float:
    v = values.dropna()
    if len(v) < 2 or v.std() == 0:
        return float("nan")
    return float(v.mean() / v.std() * math.sqrt(len(v)))


def newey_west_t(values: pd.Series | np.ndarray, lags: int) -> float:
    """t-statistic of the mean with a Newey-West (Bartlett-kernel HAC) standard error over ``lags`` lags: the
    right error for a mean of overlapping forward-window quantities (lags = how many later dates a label
    window overlaps). ``lags=0`` is the plain t with the population variance."""
    v = pd.Series(values, dtype=float).dropna().to_numpy()
    if len(v) < 3 or lags < 0:
        return float("nan")
    e = v - v.mean()
    long_run = float(e @ e) / len(v)
    for k in range(1, min(lags, len(v) - 1) + 1):
        long_run += 2 * (1 - k / (lags + 1)) * float(e[k:] @ e[:-k]) / len(v)
    if long_run <= 0:
        return float("nan")
    return float(v.mean() / math.sqrt(long_run / len(v)))


def overlap_lags(horizon: int, spacing: int) -> int:
    """How many later dates, ``spacing`` bars apart, a ``horizon``-bar label window overlaps."""
    return max(math.ceil(horizon / max(spacing, 1)) - 1, 0)


def ranking_summary(scores: pd.DataFrame, realised: pd.DataFrame, *, n: int = 4, hac_lags: int = 1
                    ) -> dict[str, float]:
    """Mean IC, its std, t-stat and share of positive dates; hit rate; mean top-minus-bottom spread and its t.

    ``ic_t`` treats dates as independent; ``ic_t_hac`` is the Newey-West t with ``hac_lags`` lags (month starts
    are 19-23 bars apart and labels span 21 bars, so a label can share bars with the next one: 1 lag).
    """
    ic = information_coefficients(scores, realised)
    spread = top_bottom_spread(scores, realised, n=n)
    valid = ic.dropna()
    return {
        "dates": int(len(valid)), "ic_mean": float(valid.mean()) if len(valid) else float("nan"),
        "ic_std": float(valid.std()) if len(valid) > 1 else float("nan"), "ic_t": _t_stat(ic),
        "ic_t_hac": newey_west_t(ic, hac_lags),
        "ic_positive_share": float((valid > 0).mean()) if len(valid) else float("nan"),
        "hit_rate": hit_rate(scores, realised),
        "spread_mean": float(spread.mean()) if spread.notna().any() else float("nan"),
        "spread_t": _t_stat(spread)}


def member_score_panels(models: Sequence[Any], histories: Mapping[str, pd.DataFrame],
                        dates: Iterable[date | datetime | str | pd.Timestamp]) -> dict[str, pd.DataFrame]:
    """As-of score panels of a timeline of ensembles: ``"ensemble"`` (the members' mean, what the algorithm
    trades) and ``"seed_<s>"`` for each member alone (member ``k`` of every cutoff)."""
    dates = list(dates)
    panels = {"ensemble": lstm_score_panel(models, histories, dates)}
    for k in range(min(len(m.networks) for m in models)):
        panels[f"seed_{models[0].member_seeds[k]}"] = lstm_score_panel([m.member(k) for m in models], histories,
                                                                       dates)
    return panels


def validation_ic(models: Sequence[Any], histories: Mapping[str, pd.DataFrame], *,
                  until: date | datetime | str | None = None) -> pd.DataFrame:
    """Spearman IC per validation end date (rows) of the ensemble and of each member (columns ``"ensemble"``,
    ``"seed_<s>"``), over every model's validation samples: labels that start on or after its cutoff, which no
    fit has seen. Samples whose label ends after ``until`` are dropped (the purge before a test period); where
    two models validate the same date, the newer one counts (the one the as-of rule would use)."""
    features = {t: compute_features(h) for t, h in histories.items()}
    limit = None if until is None else as_timestamp(until, "until")
    rows: dict[pd.Timestamp, dict[str, float]] = {}
    for m in sorted(models, key=lambda m: m.cutoff):
        hp = m.hyperparameters
        _, val = build_datasets(histories, m.cutoff, lookback=hp["lookback"], horizon=hp["horizon"],
                                stride=hp["stride"], train_days=hp["train_days"],
                                validation_days=hp["validation_days"], features=features)
        keep = np.ones(len(val), bool) if limit is None else np.asarray(val.label_end <= limit)
        if not keep.any():
            continue
        preds = m.member_predictions(val.X[keep])
        frame = pd.DataFrame({"ensemble": preds.mean(axis=0), "y": val.y[keep].astype(float)},
                             index=val.end_dates[keep])
        for k, member_seed in enumerate(m.member_seeds):
            frame[f"seed_{member_seed}"] = preds[k]
        for day, group in frame.groupby(level=0):
            if len(group) >= 3:
                realised = group["y"].rank()
                rows[day] = {c: float(group[c].rank().corr(realised)) for c in frame.columns if c != "y"}
    out = pd.DataFrame.from_dict(rows, orient="index").sort_index()
    out.index.name = "date"
    return out


def seed_ic_table(ic: pd.DataFrame, lags: int) -> pd.DataFrame:
    """One row per column of ``ic`` (dates x {"ensemble", "seed_<s>", ...}): dates, mean IC, its Newey-West t
    (``lags``: how many later dates a label overlaps) and share of positive dates; plus ``"seed mean"``: the
    per-date mean of the seed columns (the IC a seed gives on average, with its own t)."""
    columns = {c: ic[c] for c in ic.columns}
    seeds = [c for c in ic.columns if c.startswith("seed_")]
    if seeds:
        columns["seed mean"] = ic[seeds].mean(axis=1)
    return pd.DataFrame({name: {"dates": int(v.notna().sum()), "ic_mean": float(v.mean()),
                                "ic_t_hac": newey_west_t(v, lags), "ic_positive_share": float((v.dropna() > 0).mean())}
                         for name, v in columns.items()}).T


def performance(equity: pd.Series, *, turnover: pd.Series | None = None, risk_free: float = 0.0
                ) -> dict[str, float]:
    """CAR, annual volatility, Sharpe, Sortino, max drawdown (positive fraction) and mean daily turnover.

    CAR compounds over calendar days / 365.25 as LEAN does; Sharpe and Sortino annualise daily returns by 252
    after subtracting ``risk_free`` (annual, default 0).
    """
    curve = equity.dropna().astype(float)
    if len(curve) < 2 or (curve <= 0).any():
        raise ValueError("equity needs at least two positive values")
    daily = curve.pct_change().dropna()
    years = (curve.index[-1] - curve.index[0]).days / 365.25
    excess = daily - risk_free / 252.0
    vol = float(daily.std() * math.sqrt(252))
    downside = float(np.sqrt(np.mean(np.minimum(excess, 0.0) ** 2)) * math.sqrt(252))
    drawdown = float((1 - curve / curve.cummax()).max())
    return {
        "car": float((curve.iloc[-1] / curve.iloc[0]) ** (1 / years) - 1) if years > 0 else float("nan"),
        "total_return": float(curve.iloc[-1] / curve.iloc[0] - 1), "volatility": vol,
        "sharpe": float(excess.mean() * 252 / vol) if vol > 0 else float("nan"),
        "sortino": float(excess.mean() * 252 / downside) if downside > 0 else float("nan"),
        "max_drawdown": drawdown,
        "turnover": float(turnover.mean()) if turnover is not None and len(turnover) else float("nan")}


When = date | datetime | str | pd.Timestamp
MIN_ORDER_FRACTION = 0.001  # LEAN's MinimumOrderMarginPortfolioPercentage default


@dataclass
class BacktestResult:
    equity: pd.Series
    weights: pd.DataFrame                 # end-of-day weights, one column per asset
    turnover: pd.Series                   # traded value / portfolio value, per day
    orders: pd.DataFrame                  # date, ticker, reason, value (signed dollars)
    fees: float
    stats: dict[str, float] = field(default_factory=dict)


class _Book:
    """Dollar holdings per asset plus cash; all trades in dollars at one price per asset."""

    def __init__(self, assets: list[str], cash: float, cost_bps: float) -> None:
        self.assets = assets
        self.index = {a: i for i, a in enumerate(assets)}
        self.values = np.zeros(len(assets))
        self.cash = float(cash)
        self.cost = cost_bps / 1e4
        self.fees = 0.0
        self.traded = 0.0
        self.orders: list[tuple[pd.Timestamp, str, str, float]] = []

    @property
    def equity(self) -> float:
        return self.cash + float(self.values.sum())

    def held(self) -> list[str]:
        return [a for a, v in zip(self.assets, self.values, strict=True) if v > 0]

    def pay(self, day: pd.Timestamp, asset: str, delta: float, reason: str) -> None:
        """Pay for (or receive) ``delta`` dollars of ``asset`` and its fee; the holding is updated by the caller."""
        fee = abs(delta) * self.cost
        self.cash -= delta + fee
        self.fees += fee
        self.traded += abs(delta)
        self.orders.append((day, asset, reason, float(delta)))

    def deltas(self, weights: Mapping[str, float], sold: np.ndarray) -> np.ndarray:
        """Dollar changes to reach ``weights`` of the current equity, at the current marks, for positions
        ``sold`` pending (counted in the equity, as LEAN counts a position whose sale has not filled, but
        already gone from the holding), skipping changes under LEAN's minimum order size."""
        equity = self.equity
        held = np.where(sold, 0.0, self.values)
        goal = np.zeros(len(self.assets))
        for asset, weight in weights.items():
            if asset not in self.index:
                raise ValueError(f"target weight for {asset!r}, which has no price data")
            goal[self.index[asset]] = weight * equity
        deltas = goal - held
        keep = ((goal == 0) & (held > 0)) | (np.abs(deltas) >= MIN_ORDER_FRACTION * equity)
        return np.where(keep, deltas, 0.0)


def _aligned_panel(bars: Mapping[str, pd.DataFrame], treasury: pd.Series | None, treasury_name: str
                   ) -> dict[str, pd.DataFrame]:
    calendar = pd.DatetimeIndex(sorted(set().union(*(b.index for b in bars.values()))))
    closes, opens, smas, atrs = {}, {}, {}, {}
    for ticker, frame in bars.items():
        ohlc = validate_ohlc(frame, name=ticker, required=("open", "high", "low", "close"))
        first = ohlc.index[0]
        closes[ticker] = ohlc["close"].reindex(calendar).ffill().where(calendar >= first)
        opens[ticker] = ohlc["open"].reindex(calendar)
        smas[ticker] = sma_indicator(ohlc["close"]).reindex(calendar).ffill().where(calendar >= first)
        atrs[ticker] = atr_indicator(ohlc).reindex(calendar).ffill().where(calendar >= first)
    if treasury is not None:
        series = treasury.astype(float).sort_index()
        closes[treasury_name] = series.reindex(calendar.union(series.index)).ffill().reindex(calendar)
        opens[treasury_name] = pd.Series(np.nan, index=calendar)
    close = pd.DataFrame(closes)
    open_ = pd.DataFrame(opens).fillna(close.shift(1))  # no open: trade at the previous close
    return {"close": close, "open": open_, "sma": pd.DataFrame(smas), "atr": pd.DataFrame(atrs)}


Fill = Literal["moc", "open"]


def _growth(to: np.ndarray, frm: np.ndarray) -> np.ndarray:
    """Price relatives; 1 where a price is missing (an asset not yet trading holds nothing)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = to / frm
    return np.where(np.isfinite(ratio), ratio, 1.0)


def _pay(book: _Book, day: pd.Timestamp, dollars: np.ndarray) -> None:
    """Cash side of the rebalance, sells first (as LEAN orders by margin impact)."""
    for k in np.argsort(dollars):
        if dollars[k] != 0:
            book.pay(day, book.assets[k], float(dollars[k]), "rebalance")


def _run(panel: dict[str, pd.DataFrame], start: When, end: When | None, rebalance: Iterable[When],
         decide: Any, *, stops: TrailingStops | None, fill: Fill, cost_bps: float,
         initial_cash: float) -> BacktestResult:
    if fill not in ("moc", "open"):
        raise ValueError(f"fill must be 'moc' (LEAN's daily fills: stops at the next open, rebalances at the "
                         f"decision day's close) or 'open', got {fill!r}")
    close, open_, sma, atr = panel["close"], panel["open"], panel["sma"], panel["atr"]
    calendar = close.index
    first = int(calendar.searchsorted(as_timestamp(start, "start"), side="left"))
    last = len(calendar) - 1 if end is None else int(calendar.searchsorted(as_timestamp(end, "end"), side="right")) - 1
    if first < 1 or first > last:
        raise ValueError(f"backtest window {start}..{end} needs at least one bar before it and one inside it "
                         f"(data {calendar[0].date()}..{calendar[-1].date()})")
    # a rebalance date that is not a trading day moves to the next trading day
    rebalance_days = {calendar[min(int(calendar.searchsorted(as_timestamp(d, "rebalance date"))), len(calendar) - 1)]
                      for d in rebalance}
    book = _Book(list(close.columns), initial_cash, cost_bps)
    close_np = close.to_numpy(float)
    open_np = open_.to_numpy(float)
    equity, weights, turnover = {}, {}, {}
    for i in range(first, last + 1):
        day, prev = calendar[i], i - 1
        traded_before, equity_before = book.traded, book.equity
        seen = {"close": close.iloc[prev], "sma": sma.iloc[prev], "atr": atr.iloc[prev]}
        stopped = np.zeros(len(book.assets), dtype=bool)
        if stops is not None:
            for ticker in stops.on_day(seen["close"], seen["atr"], invested=book.held()):
                stopped[book.index[ticker]] = True
        deltas = np.zeros(len(book.assets))
        if day in rebalance_days:
            targets = decide(day, seen)
            if targets is not None:
                deltas = book.deltas(targets, stopped)  # sized at the previous close
                if stops is not None:
                    stops.on_rebalance([t for t in targets if t in atr.columns], seen["close"], seen["atr"])
        at_open = _growth(open_np[i], close_np[prev])
        for k in np.flatnonzero(stopped):  # market-on-open at t's open
            value = book.values[k] * at_open[k]
            book.values[k] = 0.0
            book.pay(day, book.assets[k], -value, "stop")
        if fill == "open":
            book.values = book.values * at_open
            deltas = deltas * at_open
            book.values = book.values + deltas
            _pay(book, day, deltas)
            book.values = book.values * _growth(close_np[i], open_np[i])
        else:  # the same shares, bought or sold at t's close
            growth = _growth(close_np[i], close_np[prev])
            book.values = (book.values + deltas) * growth
            _pay(book, day, deltas * growth)
        equity[day] = book.equity
        weights[day] = book.values / book.equity
        turnover[day] = (book.traded - traded_before) / equity_before
    equity_s = pd.Series(equity, name="equity")
    turnover_s = pd.Series(turnover, name="turnover")
    orders = pd.DataFrame(book.orders, columns=["date", "ticker", "reason", "value"])
    start_row = pd.Series({calendar[first - 1]: float(initial_cash)})
    curve = pd.concat([start_row, equity_s])
    stats = performance(curve, turnover=turnover_s)
    stats.update({"orders": float(len(orders)), "fees": book.fees, "end_equity": float(curve.iloc[-1])})
    return BacktestResult(curve, pd.DataFrame(weights, index=close.columns).T, turnover_s, orders, book.fees,
                          stats)


def backtest_rule(bars: Mapping[str, pd.DataFrame], scores: pd.DataFrame, *, start: When, end: When | None = None,
                  treasury: pd.Series | None = None, treasury_name: str = TREASURY, top_n: int = TOP_N,
                  cap: float = MAX_POSITION, vol_target: float | None = None, park_in_treasury: bool = False,
                  stop_multiple: float | None = STOP_ATR_MULTIPLE, fill: Fill = "moc",
                  cost_bps: float = 1.0, initial_cash: float = 10_000.0, vol_window: int = 63) -> BacktestResult:
    """Backtest the source's rule driven by ``scores`` (rebalance dates x tickers, as of each date).

    ``bars``: OHLC per ticker of the universe; ``treasury``: the fallback's close series (BIL); without it the
    fallback holds cash. ``stop_multiple=None`` disables the trailing stops. With ``vol_target``, the
    covariance of the last ``vol_window`` daily returns feeds the volatility estimate.
    """
    if treasury is None and park_in_treasury:
        raise ValueError("park_in_treasury needs a treasury price series")
    panel = _aligned_panel(bars, treasury, treasury_name)
    returns = panel["close"][list(bars)].pct_change(fill_method=None)
    score_rows = scores.copy()
    score_rows.index = pd.DatetimeIndex([as_timestamp(d, "score date") for d in scores.index])
    calendar = panel["close"].index
    # scores dated on non-trading days act on the next trading day
    score_rows.index = calendar[np.minimum(calendar.searchsorted(score_rows.index), len(calendar) - 1)]

    def decide(day: pd.Timestamp, seen: dict[str, pd.Series]) -> dict[str, float] | None:
        if day not in score_rows.index:
            return None
        row = score_rows.loc[day]
        row = row.iloc[-1] if isinstance(row, pd.DataFrame) else row
        past = returns.loc[returns.index < day].tail(vol_window) if vol_target is not None else None
        weights = select_and_weight(row.dropna(), seen["close"], seen["sma"], seen["atr"], top_n=top_n, cap=cap,
                                    vol_target=vol_target, treasury=treasury_name, returns=past,
                                    park_in_treasury=park_in_treasury)
        if treasury is None:
            weights.pop(treasury_name, None)
        return weights

    stops = TrailingStops(stop_multiple) if stop_multiple is not None else None
    return _run(panel, start, end, score_rows.index, decide, stops=stops, fill=fill, cost_bps=cost_bps,
                initial_cash=initial_cash)


def backtest_weights(bars: Mapping[str, pd.DataFrame], targets: pd.DataFrame, *, start: When,
                     end: When | None = None, fill: Fill = "moc", cost_bps: float = 1.0,
                     initial_cash: float = 10_000.0) -> BacktestResult:
    """Hold given target weights (rows: rebalance dates; NaN/0 = not held), drifting between rebalances."""
    panel = _aligned_panel(bars, None, TREASURY)
    calendar = panel["close"].index
    rows = targets.copy()
    rows.index = calendar[np.minimum(calendar.searchsorted(pd.DatetimeIndex(rows.index)), len(calendar) - 1)]

    def decide(day: pd.Timestamp, seen: dict[str, pd.Series]) -> dict[str, float] | None:
        row = rows.loc[day].fillna(0.0)
        return {t: float(w) for t, w in row.items() if w != 0}

    return _run(panel, start, end, rows.index, decide, stops=None, fill=fill, cost_bps=cost_bps,
                initial_cash=initial_cash)


def buy_and_hold(bars: pd.DataFrame, *, start: When, end: When | None = None, name: str = "QQQ",
                 **kwargs: Any) -> BacktestResult:
    """100% in one asset from ``start`` (bought like any other order)."""
    one = pd.DataFrame({name: [1.0]}, index=[as_timestamp(start, "start")])
    return backtest_weights({name: bars}, one, start=start, end=end, **kwargs)


def equal_weight(bars: Mapping[str, pd.DataFrame], rebalance: Iterable[When], *, start: When,
                 end: When | None = None, **kwargs: Any) -> BacktestResult:
    """Equal weights over the tickers with a price on each rebalance date (monthly: :func:`month_starts`)."""
    dates = pd.DatetimeIndex([as_timestamp(d, "rebalance date") for d in rebalance])
    rows = []
    for day in dates:
        live = [t for t, b in bars.items() if len(b.loc[b.index < day]) > 0]
        rows.append({t: 1.0 / len(live) for t in live})
    targets = pd.DataFrame(rows, index=dates, columns=list(bars))
    return backtest_weights(bars, targets, start=start, end=end, **kwargs)


def comparison_table(results: Mapping[str, BacktestResult]) -> pd.DataFrame:
    """One row per named result: CAR, volatility, Sharpe, Sortino, max drawdown, turnover, orders, fees."""
    keys = ["car", "volatility", "sharpe", "sortino", "max_drawdown", "turnover", "orders", "fees", "end_equity"]
    return pd.DataFrame({name: {k: r.stats.get(k, np.nan) for k in keys} for name, r in results.items()}).T


@dataclass
class Study:
    rebalance: pd.DatetimeIndex          # month starts in [start, end]
    scored: pd.DatetimeIndex             # those with a complete 21-bar forward window
    scores: dict[str, pd.DataFrame]      # "lstm", "momentum": rebalance dates x tickers
    realised: pd.DataFrame               # scored dates x tickers: the label's forward return sum
    ic: pd.DataFrame                     # scored dates x {"lstm", "momentum"}
    ranking: pd.DataFrame                # one row per signal: ranking_summary
    results: dict[str, BacktestResult]   # "lstm", "momentum", "qqq", "equal_weight"
    table: pd.DataFrame                  # comparison_table(results)


def evaluate(models: Sequence[Any], bars: Mapping[str, pd.DataFrame], *, start: date | datetime | str,
             end: date | datetime | str, qqq: pd.DataFrame | None = None, bil: pd.Series | None = None,
             vol_target: float | None = None, cost_bps: float = 1.0, initial_cash: float = 10_000.0) -> Study:
    """Score, rank and backtest ``models`` (a timeline, e.g. from ``train_walk_forward``) on ``bars``."""
    calendar = pd.DatetimeIndex(sorted(set().union(*(b.index for b in bars.values()))))
    last = min(as_timestamp(end, "end"), calendar[-1])
    rebalance = month_starts(calendar, start, last)
    if len(rebalance) == 0:
        raise ValueError(f"no month start between {start} and {end}")
    closes = pd.DataFrame({t: b["close"] for t, b in bars.items()})
    lstm = lstm_score_panel(models, bars, rebalance)
    momentum = momentum_panel(closes, rebalance)
    scored = rebalance[rebalance <= calendar[-HORIZON - 1]] if len(calendar) > HORIZON else rebalance[:0]
    realised = forward_returns(closes, scored)
    signals = {"lstm": lstm, "momentum": momentum}
    ic = pd.DataFrame({n: information_coefficients(s.reindex(scored), realised) for n, s in signals.items()})
    ranking = pd.DataFrame({n: ranking_summary(s.reindex(scored), realised) for n, s in signals.items()}).T
    first = rebalance[0]
    kwargs: dict[str, Any] = {"start": first, "end": last, "cost_bps": cost_bps, "initial_cash": initial_cash}
    results = {n: backtest_rule(bars, s, treasury=bil, vol_target=vol_target, **kwargs) for n, s in signals.items()}
    if qqq is not None:
        results["qqq"] = buy_and_hold(qqq, name="QQQ", **kwargs)
    results["equal_weight"] = equal_weight(bars, rebalance, **kwargs)
    return Study(rebalance, scored, signals, realised, ic, ranking, results, comparison_table(results))
