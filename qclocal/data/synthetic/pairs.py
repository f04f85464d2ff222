"""Scenario ``pairs``: five ETF pairs (the ETF pairs notebook's) with cointegrated prices, plus the shared SPY,
VIX and rates.

Generative model, per pair (A, B), session t (log prices of the latent total-return path):

- B follows ``log B_t = log B_{t-1} + mu_B / 252 + beta_B m_t + v_{B,t} e_t``, with ``m_t`` the environment's
  market log return and ``v_{B,t} = idio_B / sqrt(252) sqrt(VIX_{t-1} / 17)``.
- The spread is Ornstein-Uhlenbeck in discrete time: ``S_t = phi S_{t-1} + spread_sd w_t`` with
  ``phi = 2^(-1 / half_life)`` (``half_life`` in sessions), ``S_0`` from its stationary law.
- A is cointegrated with B: ``log A_t = a + b log B_t + S_t``, ``a`` set so A starts at its start price.

Recovery: regress ``log A`` on ``log B`` (Engle-Granger) for ``b``; then regress ``S_t`` on ``S_{t-1}`` for
``phi`` and ``half_life = -ln 2 / ln phi``. Prices are rounded to cents, which adds measurement noise far
below ``spread_sd`` for every pair.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from qclocal.data.synthetic import environment
from qclocal.data.synthetic.core import (
    TRADING_DAYS,
    Equity,
    SyntheticMarket,
    equity_bars,
    price_path,
    split_events,
    stream,
)

NAME = "pairs"
DESCRIPTION = ("5 ETF pairs (IEMG/EEM, ARKK/ARKW, TLT/SPTL, SHY/VGSH, SOXX/ITA) with cointegrated prices whose "
               "log spreads are Ornstein-Uhlenbeck with known half-lives")

# (A, B): half-life (sessions), hedge ratio b, daily spread innovation sd, B's (beta, idio vol, drift),
# start prices (A, B), dollar volumes (A, B)
PAIRS = {
    ("IEMG", "EEM"): (3.0, 1.0, 0.0020, (1.00, 0.12, 0.03), (48.0, 40.0), (6e8, 2.5e9)),
    ("ARKK", "ARKW"): (8.0, 1.0, 0.0040, (1.30, 0.25, 0.10), (20.0, 22.0), (3e8, 1e8)),
    ("TLT", "SPTL"): (5.0, 1.0, 0.0010, (-0.30, 0.12, 0.02), (120.0, 30.0), (1.5e9, 3e7)),
    ("SHY", "VGSH"): (4.0, 1.0, 0.0005, (-0.02, 0.012, 0.01), (84.0, 60.0), (3e8, 1e8)),
    ("SOXX", "ITA"): (30.0, 1.2, 0.0060, (1.00, 0.15, 0.06), (50.0, 45.0), (2e8, 1e8)),
}


def phi_of(half_life: float) -> float:
    return 0.5 ** (1.0 / half_life)


def simulate(index: pd.DatetimeIndex, seed: int) -> SyntheticMarket:
    env = environment.market(seed, index)
    n = len(index)
    scale = np.sqrt(env.vix_prev / environment.VIX_MEAN) / math.sqrt(TRADING_DAYS)
    logs, sigmas, starts, volumes, tickers, planted = [], [], [], [], [], {}
    for (a_name, b_name), (half_life, b, spread_sd, (beta, idio, mu), (pa, pb), (va, vb)) in PAIRS.items():
        rng = stream(seed, NAME, f"{a_name}-{b_name}")
        z = rng.standard_normal((n, 2))
        phi = phi_of(half_life)
        spread = np.empty(n)
        spread[0] = spread_sd / math.sqrt(1 - phi * phi) * z[0, 1]
        for t in range(1, n):
            spread[t] = phi * spread[t - 1] + spread_sd * z[t, 1]
        v_b = idio * scale
        log_b = np.concatenate([[0.0], np.cumsum(mu / TRADING_DAYS + beta * env.market_log_return[1:]
                                                 + v_b[1:] * z[1:, 0])]) + math.log(pb)
        intercept = math.log(pa) - b * math.log(pb) - spread[0]
        log_a = intercept + b * log_b + spread
        b_sigma = np.sqrt((beta * env.market_sigma) ** 2 + v_b ** 2)
        for name, series, vol, start, dv in ((a_name, log_a, b * b_sigma + spread_sd, pa, va),
                                             (b_name, log_b, b_sigma, pb, vb)):
            logs.append(np.diff(series, prepend=series[0]))
            sigmas.append(vol)
            starts.append(start)
            volumes.append(dv)
            tickers.append(name)
        planted[f"{a_name}_{b_name}"] = {
            "a": a_name, "b": b_name, "half_life": half_life, "phi": phi, "hedge_ratio": b,
            "intercept": intercept, "spread_sd": spread_sd,
            "spread_stationary_sd": spread_sd / math.sqrt(1 - phi * phi),
            "b_beta": beta, "b_idio_vol": idio, "b_drift": mu,
        }
    log_returns = np.column_stack(logs)
    sigma = np.column_stack(sigmas)
    path = price_path(log_returns, np.array(starts))
    frames = equity_bars(index, path, sigma, log_returns / sigma, np.array(volumes), stream(seed, NAME, "bars"))
    equities = {t: Equity(frames[j], split_events(index, path.split_ratio[:, j])) for j, t in enumerate(tickers)}
    shared, indexes, rates, fred = env.shared_outputs(("VIX",))
    equities.update(shared)
    truth = {
        "model": "log A = intercept + hedge_ratio * log B + S; S[t] = phi*S[t-1] + spread_sd*w[t]; "
                 "phi = 2^(-1/half_life); log prices of split-adjusted closes, half-life in sessions",
        "pairs": planted,
        "tickers": {"equity": sorted(equities), "index": sorted(indexes), "fred": sorted(fred)},
    }
    return SyntheticMarket(equities=equities, indexes=indexes, rates_percent=rates, fred=fred, truth=truth)
