"""Scenario ``leveraged-etf``: an index ETF (QQQ), its 3x daily ETF (TQQQ), SPY, VIX, VIX3M and rates.

Generative model, per session t (``r`` are simple daily returns, rates in percent, VIX in points):

- SPY, QQQ, VIX, VIX3M and the bill rate are the shared market (see ``environment``).
- TQQQ's daily leverage is ``L_t = 3 + lev_vix * (VIX_{t-1} - 20) / 10 + lev_rate * (rate_{t-1} - 1)``:
  leverage falls when volatility is high (rebalancing slippage) and when financing is expensive.
- TQQQ's drag accrues per calendar day: ``drag_t = dt_t * (expense + financing_multiple * (rate_{t-1} / 100 +
  swap_spread))``, ``dt_t`` = calendar days since the previous session / 365.
- ``r_TQQQ,t = L_t * r_QQQ,t - drag_t + e_t``, ``e_t ~ N(0, tracking_sd^2)`` (tracking noise, i.i.d.).
- ``rate`` is the 3-month bill of the environment, written as FRED ``DTB3`` and as LEAN's risk-free file.

So a regression of ``r_TQQQ`` on ``r_QQQ``, ``r_QQQ * (VIX_{t-1} - 20) / 10``, ``r_QQQ * (rate_{t-1} - 1)``,
``dt`` and ``dt * rate_{t-1}`` recovers ``(3, lev_vix, lev_rate, -(expense + financing_multiple * swap_spread),
-financing_multiple / 100)`` with residual sd ``tracking_sd`` (plus sub-basis-point price rounding).
QQQ also has hour bars (``core.hour_bars``: a Brownian bridge from the day's open to its close inside its range).
TQQQ starts at $45 on the first session and splits 2-for-1 (or more) after a raw close above $150, as the
real fund does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qclocal.data.synthetic import environment
from qclocal.data.synthetic.core import (
    Equity,
    Splitter,
    SyntheticMarket,
    calendar_years_between,
    equity_bars,
    hour_bars,
    price_path,
    split_events,
    stream,
)

NAME = "leveraged-etf"
DESCRIPTION = ("QQQ-like index ETF and a 3x daily ETF (TQQQ) whose leverage and drag depend on VIX and rates, "
               "with VIX, VIX3M and a 3-month bill rate")

PARAMS = {
    "target_leverage": 3.0,
    "lev_vix": -0.03,              # leverage change per 10 VIX points above 20
    "vix_ref": 20.0,
    "lev_rate": -0.01,             # leverage change per percentage point of the bill rate above 1%
    "rate_ref": 1.0,
    "expense": 0.0095,             # per year
    "financing_multiple": 2.0,     # borrowed notional per unit of equity
    "swap_spread": 0.004,          # per year, over the bill rate
    "tracking_sd": 0.0008,         # daily
}
TQQQ_START_PRICE = 45.0
TQQQ_SPLIT_ABOVE = 150.0
TQQQ_DOLLAR_VOLUME = 1.5e9


def leverage(vix_prev: np.ndarray, rate_prev: np.ndarray, p: dict = PARAMS) -> np.ndarray:
    return (p["target_leverage"] + p["lev_vix"] * (vix_prev - p["vix_ref"]) / 10
            + p["lev_rate"] * (rate_prev - p["rate_ref"]))


def drag(dt_years: np.ndarray, rate_prev: np.ndarray, p: dict = PARAMS) -> np.ndarray:
    return dt_years * (p["expense"] + p["financing_multiple"] * (rate_prev / 100 + p["swap_spread"]))


TERM_SPREAD = {"mean": 1.5, "phi": 0.995, "sd": 0.03, "floor": -0.5, "cap": 3.5}


def rate_indexes(tbill: np.ndarray, index: pd.DatetimeIndex, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """IRX (the 13-week bill, percent) and TNX (10-year yield = bill + an AR(1) term spread), written as index
    bars like ``qclocal data import`` writes the real ones, so the same algorithm reads both."""
    p = TERM_SPREAD
    draws = rng.standard_normal(len(tbill))
    spread = np.empty(len(tbill))
    level = p["mean"]
    for t, z in enumerate(draws):
        level = float(np.clip(p["mean"] + p["phi"] * (level - p["mean"]) + p["sd"] * z, p["floor"], p["cap"]))
        spread[t] = level
    out = {}
    for name, values in (("IRX", tbill), ("TNX", np.maximum(tbill + spread, 0.05))):
        close = np.round(values, 4)
        out[name] = pd.DataFrame({"open": close, "high": close, "low": close, "close": close,
                                  "volume": np.zeros(len(close))}, index=index)
    return out


def simulate(index: pd.DatetimeIndex, seed: int) -> SyntheticMarket:
    env = environment.market(seed, index)
    n = len(index)
    noise = stream(seed, NAME, "tracking").standard_normal(n)
    qqq = np.expm1(env.qqq_log_return)
    lev = leverage(env.vix_prev, env.tbill_prev)
    drg = drag(calendar_years_between(index), env.tbill_prev)
    tqqq = lev * qqq - drg + PARAMS["tracking_sd"] * noise
    if (tqqq <= -1).any():
        raise RuntimeError("a simulated TQQQ daily return fell below -100%; choose another seed")
    logs = np.log1p(tqqq)[:, None]
    path = price_path(logs, np.array([TQQQ_START_PRICE]), Splitter(split_above=TQQQ_SPLIT_ABOVE))
    sigma = 3 * environment.QQQ_BETA * env.market_sigma[:, None]
    frame = equity_bars(index, path, sigma, logs / sigma, np.array([TQQQ_DOLLAR_VOLUME]),
                        stream(seed, NAME, "bars"))[0]
    equities, indexes, rates, fred = env.shared_outputs(("VIX", "VIX3M"))
    indexes.update(rate_indexes(env.tbill, index, stream(seed, NAME, "term-spread")))
    equities["QQQ"] = env.fund("QQQ")
    # hour bars of the traded ETF, so the replica can rebalance before the close at the current price
    equities["QQQ"].hour_bars = hour_bars(equities["QQQ"].bars, stream(seed, NAME, "qqq-hours"))
    equities["TQQQ"] = Equity(frame, split_events(index, path.split_ratio[:, 0]))
    p = PARAMS
    truth = {
        "model": "r_TQQQ = L_t * r_QQQ - drag_t + e_t; L_t = target_leverage + lev_vix * (VIX[t-1] - vix_ref) / 10 "
                 "+ lev_rate * (rate[t-1] - rate_ref); drag_t = dt_years * (expense + financing_multiple * "
                 "(rate[t-1] / 100 + swap_spread)); e_t ~ N(0, tracking_sd^2); rate = DTB3 (percent); "
                 "dt_years = calendar days since the previous session / 365; simple returns of split-adjusted "
                 "closes",
        "parameters": dict(p),
        "rates": {"IRX": "DTB3 (the bill rate), percent", "TNX": "IRX + AR(1) term spread", **TERM_SPREAD},
        "regression": {
            "regressors": ["r_QQQ", "r_QQQ*(VIX[t-1]-vix_ref)/10", "r_QQQ*(rate[t-1]-rate_ref)", "dt_years",
                           "dt_years*rate[t-1]"],
            "coefficients": [p["target_leverage"], p["lev_vix"], p["lev_rate"],
                             -(p["expense"] + p["financing_multiple"] * p["swap_spread"]),
                             -p["financing_multiple"] / 100],
            "residual_sd": p["tracking_sd"],
        },
        "realised": {
            "mean_leverage": float(np.mean(lev)),
            "min_leverage": float(np.min(lev)),
            "max_leverage": float(np.max(lev)),
            "mean_daily_drag": float(np.mean(drg)),
        },
        "tickers": {"equity": sorted(equities), "index": sorted(indexes), "fred": sorted(fred)},
        "splits": {t: [[d.isoformat(), r] for d, r in e.splits] for t, e in equities.items() if e.splits},
    }
    return SyntheticMarket(equities=equities, indexes=indexes, rates_percent=rates, fred=fred, truth=truth)
