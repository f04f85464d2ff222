"""The market every scenario shares: a stochastic-volatility equity market (SPY), a tech factor (QQQ), VIX,
VIX3M and a Fed-like short rate.

The shared market is a function of the seed and the session alone: it is simulated from ``EPOCH`` (1970-01-02)
to ``max(end, ANCHOR)`` with time-major draws from the ``market`` streams, then sliced to the requested
sessions, and SPY/QQQ are priced to close at $127.50/$56.00 on ``ANCHOR`` (2012-01-03). So SPY, QQQ, VIX,
VIX3M, DTB3 and the risk-free file are identical in every scenario with the same seed, and generating several
scenarios into one data folder never leaves one scenario's truth describing another's files.

Model (session t):

- log VIX is mean-reverting: ``x_t = x_{t-1} + k (m - x_{t-1}) + s (rho z_t + sqrt(1 - rho^2) u_t) + J_t`` with
  ``m = log 17``, half-life 25 sessions (``k = ln 2 / 25``), ``s = 0.065``, ``rho = -0.7``, kept in [9, 85];
  ``J_t`` is a jump of +0.25..+0.6 log points with probability 0.2% a session (stress events).
- The market's (SPY's) daily log return is ``m_t = (rate_{t-1} / 100 + 0.06) / 252 - sigma_t^2 / 2 + sigma_t z_t
  - 0.1 J_t`` with ``sigma_t = 0.8 * VIX_{t-1} / 100 / sqrt(252)``: realised volatility runs below implied, and
  VIX jumps come with market drops.
- QQQ's log return is ``1.15 m_t + f_t`` with the tech factor ``f_t = 0.45 sigma_t w_t``.
- VIX3M: ``log VIX3M = log VIX + 0.07 - 0.3 (log VIX - m) + e_t``, ``e`` AR(1) (phi 0.9, sd 0.02): contango in
  calm markets, backwardation in stress.
- The `leveraged-etf` scenario also writes IRX (the bill) and TNX (bill + an AR(1) term spread) as index bars,
  as `qclocal data import` writes the real ones.
- The policy rate moves in 25 bp steps at meetings every 32 sessions toward a latent target (an AR(1) around 2%,
  four-year half-life, monthly sd 0.25 pp), floored at 0.125% (the midpoint of a 0-0.25% band). The 3-month
  bill (``tbill``, FRED ``DTB3``, LEAN's risk-free file) is the policy rate minus 5 bp plus small AR(1) noise,
  floored at 0.01%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.special import ndtr

from qclocal.data.synthetic.core import (
    TRADING_DAYS,
    Equity,
    FredSeries,
    equity_bars,
    price_path,
    sessions,
    stream,
)

VIX_MEAN = 17.0
VIX_HALF_LIFE = 25.0
VIX_VOL = 0.065
VIX_MARKET_CORR = -0.7
JUMP_PROB = 0.002
JUMP_MARKET_IMPACT = 0.1
REALISED_TO_IMPLIED = 0.8
EQUITY_PREMIUM = 0.06
MEETING_EVERY = 32
VIX_FLOOR, VIX_CAP = math.log(9.0), math.log(85.0)
QQQ_BETA = 1.15
QQQ_IDIO_TO_MARKET_VOL = 0.45
SHARED = "market"               # stream namespace of the components every scenario shares
EPOCH = date(1970, 1, 2)        # the shared market is simulated from here, whatever the requested range
ANCHOR = pd.Timestamp("2012-01-03")
ANCHOR_PRICES = {"SPY": 127.5, "QQQ": 56.0}


@dataclass
class Environment:
    """The shared market on some sessions; every array is aligned with ``index``."""

    index: pd.DatetimeIndex
    vix: np.ndarray            # close
    vix3m: np.ndarray          # close
    vix_prev: np.ndarray       # previous session's VIX close
    tbill_prev: np.ndarray     # previous session's bill rate
    market_log_return: np.ndarray
    market_sigma: np.ndarray   # the day's return volatility (known at the previous close)
    tech_log_return: np.ndarray  # QQQ's return beyond QQQ_BETA times the market (the tech factor)
    policy_rate: np.ndarray    # percent
    tbill: np.ndarray          # percent
    index_ohlc: dict[str, np.ndarray]   # VIX/VIX3M -> (n, 4) open, high, low, close
    funds: dict[str, pd.DataFrame]      # SPY/QQQ -> raw daily OHLCV

    def sliced(self, index: pd.DatetimeIndex) -> Environment:
        pos = self.index.get_indexer(index)
        if (pos < 0).any():
            raise ValueError("sessions outside the shared market's range")
        return Environment(index=index, vix=self.vix[pos], vix3m=self.vix3m[pos], vix_prev=self.vix_prev[pos],
                           tbill_prev=self.tbill_prev[pos],
                           market_log_return=self.market_log_return[pos], market_sigma=self.market_sigma[pos],
                           tech_log_return=self.tech_log_return[pos], policy_rate=self.policy_rate[pos],
                           tbill=self.tbill[pos], index_ohlc={k: v[pos] for k, v in self.index_ohlc.items()},
                           funds={k: v.loc[index] for k, v in self.funds.items()})

    @property
    def qqq_log_return(self) -> np.ndarray:
        return QQQ_BETA * self.market_log_return + self.tech_log_return

    def index_bars(self, names: tuple[str, ...] = ("VIX", "VIX3M")) -> dict[str, pd.DataFrame]:
        out = {}
        for name in names:
            ohlc_ = self.index_ohlc[name]
            out[name] = pd.DataFrame({"open": ohlc_[:, 0], "high": ohlc_[:, 1], "low": ohlc_[:, 2],
                                      "close": ohlc_[:, 3], "volume": np.zeros(len(ohlc_))}, index=self.index)
        return out

    def fund(self, ticker: str) -> Equity:
        return Equity(self.funds[ticker].copy())

    def rates_series(self) -> pd.Series:
        return pd.Series(self.tbill, index=self.index, name="rate")

    def shared_outputs(self, indexes: tuple[str, ...] = ("VIX",)) -> tuple[dict, dict, pd.Series, dict]:
        """What every scenario writes: SPY, the given indexes, the risk-free rates and FRED DTB3."""
        fred = {"DTB3": FredSeries(pd.Series(self.tbill, index=self.index), release_lag_days=1)}
        return {"SPY": self.fund("SPY")}, self.index_bars(indexes), self.rates_series(), fred


def simulate_rates(rng: np.random.Generator, n: int, start_rate: float | None = None) -> tuple[np.ndarray, ...]:
    """Policy rate and 3-month bill (percent) for n sessions."""
    draws = rng.standard_normal((n, 2))
    target = np.empty(n)
    target[0] = 2.0 + 1.0 * draws[0, 0] if start_rate is None else start_rate
    phi = 0.5 ** (1 / (TRADING_DAYS * 4))                  # four-year half-life toward 2%
    step_sd = 0.25 * math.sqrt(12 / TRADING_DAYS)
    for t in range(1, n):
        target[t] = 2.0 + phi * (target[t - 1] - 2.0) + step_sd * draws[t, 0]
    policy = np.empty(n)
    policy[0] = max(0.125, round(target[0] * 4) / 4)
    for t in range(1, n):
        policy[t] = policy[t - 1]
        if t % MEETING_EVERY == 0:
            gap = target[t] - policy[t - 1]
            if abs(gap) >= 0.25:
                policy[t] = max(0.125, policy[t - 1] + math.copysign(0.25, gap))
    noise = np.empty(n)
    noise[0] = 0.0
    for t in range(1, n):
        noise[t] = 0.9 * noise[t - 1] + 0.01 * draws[t, 1]
    tbill = np.maximum(policy - 0.05 + noise, 0.01)
    return policy, np.round(tbill, 4)


def market(seed: int, index: pd.DatetimeIndex) -> Environment:
    """The shared market on ``index`` (a run of NYSE sessions from EPOCH on)."""
    if index[0] < pd.Timestamp(EPOCH):
        raise ValueError(f"synthetic markets start on {EPOCH} at the earliest (scenarios also need up to five "
                         f"years of history before their start); got {index[0]:%Y-%m-%d}")
    last = max(index[-1], ANCHOR).date()
    return _full(seed, last).sliced(index)


@lru_cache(maxsize=4)
def _full(seed: int, last: date) -> Environment:
    index = sessions(EPOCH, last)
    n = len(index)
    rng = stream(seed, SHARED, "environment")
    z = rng.standard_normal((n, 6))
    policy, tbill = simulate_rates(stream(seed, SHARED, "rates"), n)
    k = math.log(2) / VIX_HALF_LIFE
    m = math.log(VIX_MEAN)
    jumps = np.where(z[:, 2] < _normal_quantile(JUMP_PROB), 0.25 + 0.35 * ndtr(z[:, 3]), 0.0)
    log_vix = np.empty(n)
    log_vix[0] = m + 0.3 * z[0, 1]
    corr = math.sqrt(1 - VIX_MARKET_CORR ** 2)
    for t in range(1, n):
        shock = VIX_VOL * (VIX_MARKET_CORR * z[t, 0] + corr * z[t, 1])
        log_vix[t] = min(max(log_vix[t - 1] + k * (m - log_vix[t - 1]) + shock + jumps[t], VIX_FLOOR), VIX_CAP)
    vix = np.exp(log_vix)
    prev_vix = np.concatenate([[vix[0]], vix[:-1]])
    sigma = REALISED_TO_IMPLIED * prev_vix / 100 / math.sqrt(TRADING_DAYS)
    prev_rate = np.concatenate([[tbill[0]], tbill[:-1]])
    # A positive market shock z lowers VIX (correlation -0.7); VIX jumps come with market drops.
    mkt = (prev_rate / 100 + EQUITY_PREMIUM) / TRADING_DAYS - sigma ** 2 / 2 + sigma * z[:, 0] \
        - JUMP_MARKET_IMPACT * jumps
    tech = QQQ_IDIO_TO_MARKET_VOL * sigma * z[:, 5]
    term = np.empty(n)
    term[0] = 0.0
    for t in range(1, n):
        term[t] = 0.9 * term[t - 1] + 0.02 * math.sqrt(1 - 0.81) * z[t, 4]
    vix3m = np.exp(log_vix + 0.07 - 0.3 * (log_vix - m) + term)
    vix, vix3m = np.round(vix, 2), np.round(vix3m, 2)
    index_ohlc = _index_ohlc({"VIX": vix, "VIX3M": vix3m}, stream(seed, SHARED, "index-bars"))
    funds = _funds(index, mkt, mkt * QQQ_BETA + tech, sigma, stream(seed, SHARED, "fund-bars"))
    vix_prev = np.concatenate([[vix[0]], vix[:-1]])
    tbill_prev = np.concatenate([[tbill[0]], tbill[:-1]])
    return Environment(index=index, vix=vix, vix3m=vix3m, vix_prev=vix_prev, tbill_prev=tbill_prev,
                       market_log_return=mkt, market_sigma=sigma,
                       tech_log_return=tech, policy_rate=policy, tbill=tbill, index_ohlc=index_ohlc, funds=funds)


def _index_ohlc(closes: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Daily OHLC for index levels: the open carries 30% of the day's change; the range grows with noise."""
    n = len(next(iter(closes.values())))
    noise = rng.standard_normal((n, len(closes), 3))
    out = {}
    for j, (name, close) in enumerate(closes.items()):
        prev = np.concatenate([[close[0]], close[:-1]])
        open_ = np.round(prev * np.exp(0.3 * np.log(close / prev) + 0.02 * noise[:, j, 0]), 2)
        high = np.round(np.maximum(open_, close) * np.exp(0.03 * np.abs(noise[:, j, 1])), 2)
        low = np.round(np.minimum(open_, close) * np.exp(-0.03 * np.abs(noise[:, j, 2])), 2)
        out[name] = np.column_stack([open_, high, low, close])
    return out


def _funds(index: pd.DatetimeIndex, spy: np.ndarray, qqq: np.ndarray, sigma: np.ndarray,
           rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """SPY and QQQ bars, priced so that they close at ANCHOR_PRICES on the ANCHOR session."""
    logs = np.column_stack([spy, qqq])
    anchor = index.get_loc(ANCHOR)
    cum = np.cumsum(np.vstack([np.zeros((1, 2)), logs[1:]]), axis=0)
    start = np.array([ANCHOR_PRICES["SPY"], ANCHOR_PRICES["QQQ"]]) * np.exp(-cum[anchor])
    path = price_path(logs, start)
    vols = np.column_stack([sigma, QQQ_BETA * sigma])
    frames = equity_bars(index, path, vols, logs / vols, np.array([25e9, 5e9]), rng)
    return {"SPY": frames[0], "QQQ": frames[1]}


def _normal_quantile(p: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)
