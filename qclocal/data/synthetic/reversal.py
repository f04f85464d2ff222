"""Scenario ``reversal``: a liquid stock universe in which large 3-day moves on high volume partly revert over the
next 6 sessions. Coarse universe files, VIX, SPY and rates are included.

Generative model (session t, stock i; ``m_t`` the environment's market log return):

- Cross-section (stream ``universe``, independent of the dates): ``beta_i ~ U(0.6, 1.5)``, idiosyncratic annual
  vol ``idio_i`` log-uniform in [0.18, 0.50], ``alpha_i ~ N(0.02, 0.03)`` a year, start price log-uniform in
  [$8, $250], typical dollar volume log-uniform in [$5M, $2B] a day. Tickers are ``SAAA``, ``SAAB``, ...
- ``r_{i,t} = alpha_i / 252 + beta_i m_t + v_{i,t} e_{i,t} + q_{i,t}``, ``v_{i,t} = idio_i / sqrt(252) *
  sqrt(VIX_{t-1} / 17)``. Volume rises with the day's absolute standardised move (see ``core.share_volume``).
- Events, decided at the close of t on the *observed* split-adjusted closes ``P`` and volumes ``V``
  (raw volume in the original share units):
  ``R3 = P_t / P_{t-3} - 1``, ``sd20`` = sample std of the last 20 daily simple returns (including today),
  ``VR = V_t / mean(V_{t-19..t})``, ``score = R3 / (sd20 * sqrt(3))``.
  A *drop* is ``score <= -2`` and ``VR >= 1.5``; a *spike* is ``score >= 2`` and ``VR >= 1.5``. A name with an
  event at t cannot have another at t+1..t+5 (so reversion windows never overlap).
- After an event, ``q_{i,t+h} = -kappa * log(1 + R3) / 6`` for h = 1..6 with ``kappa = kappa_drop`` (drops) or
  ``kappa_spike`` (spikes): the 6-session log return after the event close carries ``-kappa * log(1 + R3)``.

Splits: 2^k-for-1 after a raw close above $600, 1-for-10 after one below $1. The coarse files list the stocks
(not SPY) every session with ``has_fundamental_data`` true.

Recovery: find the events with the same rule from the files, regress the 6-session forward log return on
``log(1 + R3)`` with an intercept, per direction; the slope estimates ``-kappa``.
"""

from __future__ import annotations

import math
import string

import numpy as np
import pandas as pd

from qclocal.data.synthetic import environment
from qclocal.data.synthetic.core import (
    TRADING_DAYS,
    Equity,
    Splitter,
    SyntheticMarket,
    bars_frame,
    liquidity_states,
    ohlc,
    round_price,
    share_volume,
    split_events,
    stream,
)

NAME = "reversal"
DESCRIPTION = ("~300 stocks with volume and coarse universe files; large 3-day moves on high volume partly "
               "revert over the next 6 sessions by a known fraction; VIX included")

N_STOCKS = 300
KAPPA_DROP = 0.25
KAPPA_SPIKE = 0.15
SCORE_THRESHOLD = 2.0
VOLUME_RATIO_THRESHOLD = 1.5
HOLD = 6
LOOKBACK = 3
VOL_WINDOW = 20


def tickers(n: int) -> list[str]:
    letters = string.ascii_uppercase
    return ["S" + letters[i // 676 % 26] + letters[i // 26 % 26] + letters[i % 26] for i in range(n)]


def universe(seed: int, n: int) -> pd.DataFrame:
    rng = stream(seed, NAME, "universe")
    u = rng.uniform(size=(n, 5))
    return pd.DataFrame({
        "beta": 0.6 + 0.9 * u[:, 0],
        "idio_vol": 0.18 * (0.50 / 0.18) ** u[:, 1],
        "alpha": 0.02 + 0.03 * rng.standard_normal(n),
        "start_price": 8.0 * (250.0 / 8.0) ** u[:, 2],
        "dollar_volume": 5e6 * (2e9 / 5e6) ** u[:, 3],
    }, index=tickers(n))


def simulate(index: pd.DatetimeIndex, seed: int, n_stocks: int = N_STOCKS) -> SyntheticMarket:
    if n_stocks < 1:
        raise ValueError(f"n_stocks must be positive, got {n_stocks}")
    env = environment.market(seed, index)
    uni = universe(seed, n_stocks)
    n, k = len(index), n_stocks
    e = stream(seed, NAME, "returns").standard_normal((n, k))
    noise = stream(seed, NAME, "ohlc").standard_normal((n, k, 5))
    liquidity = liquidity_states(noise[..., 4])
    beta, idio, alpha = uni["beta"].to_numpy(), uni["idio_vol"].to_numpy(), uni["alpha"].to_numpy()
    dollar_volume = uni["dollar_volume"].to_numpy()
    v = idio[None, :] / math.sqrt(TRADING_DAYS) * np.sqrt(env.vix_prev[:, None] / environment.VIX_MEAN)
    splitter = Splitter(split_above=600.0, reverse_below=1.0)

    latent = uni["start_price"].to_numpy().copy()
    shares = np.ones(k)
    raw = np.zeros((n, k))
    ratio = np.ones((n, k))
    bars = np.zeros((n, k, 5))
    adj_close = np.zeros((n, k))       # observed close in original share units
    adj_volume = np.zeros((n, k))
    drift = np.zeros((n + HOLD + 1, k))
    last_event = np.full(k, -10 ** 9)
    events: list[tuple[int, int, float, int]] = []          # (t, name, R3, +1 spike / -1 drop)
    for t in range(n):
        if t > 0:
            r = alpha / TRADING_DAYS + beta * env.market_log_return[t] + v[t] * e[t] + drift[t]
            latent = latent * np.exp(r)
            ratio[t] = splitter.ratio(raw[t - 1])
            shares = shares * ratio[t]
        raw[t] = round_price(latent / shares)
        prev = raw[t - 1] / ratio[t] if t > 0 else raw[0]
        day_sigma = np.sqrt(beta ** 2 * env.market_sigma[t] ** 2 + v[t] ** 2)
        o, h, lo = ohlc(prev, raw[t], day_sigma, noise[t])
        shock = np.log(raw[t] / prev) / day_sigma
        volume = share_volume(dollar_volume, raw[t], shock, liquidity[t], noise[t, :, 3])
        bars[t] = np.column_stack([o, h, lo, raw[t], volume])
        adj_close[t] = raw[t] * shares
        adj_volume[t] = volume / shares
        if t >= VOL_WINDOW:
            window = adj_close[t - VOL_WINDOW: t + 1]
            sd20 = (window[1:] / window[:-1] - 1).std(axis=0, ddof=1)
            r3 = adj_close[t] / adj_close[t - LOOKBACK] - 1
            vr = adj_volume[t] / adj_volume[t - VOL_WINDOW + 1: t + 1].mean(axis=0)
            score = r3 / (sd20 * math.sqrt(LOOKBACK))
            free = t - last_event >= HOLD
            loud = vr >= VOLUME_RATIO_THRESHOLD
            for j in np.flatnonzero(free & loud & (np.abs(score) >= SCORE_THRESHOLD)):
                sign = 1 if score[j] > 0 else -1
                kappa = KAPPA_SPIKE if sign > 0 else KAPPA_DROP
                drift[t + 1: t + 1 + HOLD, j] += -kappa * math.log1p(r3[j]) / HOLD
                last_event[j] = t
                events.append((t, int(j), float(r3[j]), sign))

    names = list(uni.index)
    equities = {s: Equity(bars_frame(index, *bars[:, j].T), split_events(index, ratio[:, j]), in_coarse=True)
                for j, s in enumerate(names)}
    shared, indexes, rates, fred = env.shared_outputs(("VIX",))
    equities.update(shared)
    drops = [ev for ev in events if ev[3] < 0]
    spikes = [ev for ev in events if ev[3] > 0]
    truth = {
        "model": "r[i,t] = alpha_i/252 + beta_i*m[t] + v[i,t]*e[i,t] + q[i,t]; after an event at t, "
                 "q[i,t+h] = -kappa*log(1+R3)/6 for h=1..6; events: score=R3/(sd20*sqrt(3)) <= -2 (drop) or "
                 ">= 2 (spike) with VR >= 1.5 and no event in the previous 5 sessions",
        "kappa_drop": KAPPA_DROP,
        "kappa_spike": KAPPA_SPIKE,
        "score_threshold": SCORE_THRESHOLD,
        "volume_ratio_threshold": VOLUME_RATIO_THRESHOLD,
        "lookback": LOOKBACK,
        "hold": HOLD,
        "vol_window": VOL_WINDOW,
        "refractory_sessions": HOLD - 1,
        "n_stocks": n_stocks,
        "events": {"drop": len(drops), "spike": len(spikes),
                   "mean_log_r3_drop": _mean([math.log1p(ev[2]) for ev in drops]),
                   "mean_log_r3_spike": _mean([math.log1p(ev[2]) for ev in spikes])},
        "universe": {s: {c: float(uni.at[s, c]) for c in uni.columns} for s in names},
        "tickers": {"equity": sorted(equities), "coarse": names, "index": sorted(indexes), "fred": sorted(fred)},
        "splits": {t: [[d.isoformat(), r] for d, r in eq.splits] for t, eq in equities.items() if eq.splits},
    }
    diagnostics = {"events": pd.DataFrame(
        [(index[t], names[j], r3, sign) for t, j, r3, sign in events], columns=["date", "ticker", "r3", "sign"])}
    return SyntheticMarket(equities=equities, indexes=indexes, rates_percent=rates, fred=fred, truth=truth,
                           diagnostics=diagnostics)


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None
