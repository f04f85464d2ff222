"""Scenario ``sectors``: 11 sector ETFs and SPY whose monthly returns are partly driven by lagged macro data,
with FRED-like INDPRO, CPIAUCSL, UNRATE, FEDFUNDS (monthly) and T10Y2Y, DTB3 (daily) dated by release.

Generative model:

- Macro, monthly from 60 months before ``start`` (stream ``macro``), observation dated the 1st of the month:
  INDPRO growth ``g_j = 0.15 + 0.5 (g_{j-1} - 0.15) + 0.6 e1`` (% a month), level ``100 exp(cumsum g / 100)``;
  CPI inflation ``p_j = 0.18 + 0.6 (p_{j-1} - 0.18) + 0.15 e2``, level ``230 exp(cumsum p / 100)``;
  UNRATE ``u_j = u_{j-1} - 0.1 (g_j - 0.15) + 0.02 (5 - u_{j-1}) + 0.08 e3`` in [3, 12], to 0.1;
  FEDFUNDS = monthly mean of the environment's policy rate. Daily T10Y2Y is AR(1) around 1.2 (stationary sd
  0.5, half-life 80 sessions); DTB3 is the environment's bill rate. Published values are rounded as FRED's.
- Release lags (calendar days after the observation date, as in ``qclocal.data.fred``): INDPRO 47, CPIAUCSL 45,
  UNRATE 38, FEDFUNDS 33, T10Y2Y 1, DTB3 1. A value is visible from 00:00 on the day after its release.
- Features for month M, from the values visible at 00:00 on M's first session (release date < that session):
  ``indpro_growth`` (% change of the latest two INDPRO values), ``cpi_inflation`` (same for CPI),
  ``unrate_change`` (difference of the latest two UNRATE values), ``t10y2y`` (latest value),
  ``fedfunds_change`` (difference of the latest two FEDFUNDS values); each standardised with fixed
  ``(x - center) / scale`` from ``FEATURE_SCALING`` and clipped to [-4, 4].
- Sector s, session t in month M: ``r_{s,t} = beta_s m_t + v_{s,t} e_{s,t} + a_{s,M} / (N_M - 1)`` on every
  session of M but the first (``N_M`` sessions in M), where ``a_{s,M} = sum_k B_{s,k} x_{k,M}`` (``LOADINGS``,
  monthly log return per unit feature) and ``v = idio_s / sqrt(252) sqrt(VIX_{t-1} / 17)``. SPY follows the
  market factor ``m`` alone. So the log return from the close of M's first session to the close of the next
  month's first session is ``beta_s * (SPY's) + a_{s,M} + noise``.

Recovery: build the features from the FRED files as of each month's first session, regress each sector's
first-session-to-first-session log return on them and on SPY's; the slopes estimate ``B_s`` and ``beta_s``.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd

from qclocal.data.synthetic import environment
from qclocal.data.synthetic.core import (
    TRADING_DAYS,
    Equity,
    FredSeries,
    SyntheticMarket,
    equity_bars,
    price_path,
    sessions,
    split_events,
    stream,
)

NAME = "sectors"
DESCRIPTION = ("11 sector ETFs and SPY; monthly sector returns partly driven by lagged, release-dated macro "
               "series (INDPRO, CPIAUCSL, UNRATE, T10Y2Y, FEDFUNDS)")

SECTORS = ("XLK", "XLF", "XLE", "XLV", "XLY", "XLP", "XLI", "XLB", "XLU", "XLRE", "XLC")
FEATURES = ("indpro_growth", "cpi_inflation", "unrate_change", "t10y2y", "fedfunds_change")
FEATURE_SCALING = {   # center, scale
    "indpro_growth": (0.15, 0.7),
    "cpi_inflation": (0.18, 0.19),
    "unrate_change": (0.0, 0.12),
    "t10y2y": (1.2, 0.5),
    "fedfunds_change": (0.0, 0.1),
}
# Monthly log-return loading per unit feature (rows: sectors, columns: FEATURES).
LOADINGS = {
    "XLK": (0.006, -0.004, 0.0, 0.002, -0.004),
    "XLF": (0.003, 0.0, -0.003, 0.008, 0.003),
    "XLE": (0.004, 0.010, 0.0, 0.0, 0.0),
    "XLV": (0.0, 0.0, 0.0, 0.0, -0.002),
    "XLY": (0.006, -0.003, -0.006, 0.0, -0.003),
    "XLP": (-0.004, 0.002, 0.003, 0.0, 0.0),
    "XLI": (0.008, 0.0, -0.003, 0.002, 0.0),
    "XLB": (0.005, 0.006, 0.0, 0.0, 0.0),
    "XLU": (-0.004, 0.0, 0.002, -0.003, -0.006),
    "XLRE": (0.0, -0.003, 0.0, 0.0, -0.008),
    "XLC": (0.003, 0.0, -0.002, 0.0, -0.002),
}
# beta to the market factor, idiosyncratic annual vol, start price, dollar volume
SECTOR_PARAMS = {
    "XLK": (1.15, 0.10, 25.0, 7e8), "XLF": (1.20, 0.12, 13.0, 1.2e9), "XLE": (1.10, 0.18, 70.0, 1e9),
    "XLV": (0.80, 0.09, 35.0, 5e8), "XLY": (1.05, 0.08, 40.0, 4e8), "XLP": (0.65, 0.08, 32.0, 5e8),
    "XLI": (1.10, 0.07, 37.0, 5e8), "XLB": (1.10, 0.10, 37.0, 3e8), "XLU": (0.50, 0.12, 35.0, 5e8),
    "XLRE": (0.80, 0.12, 30.0, 2e8), "XLC": (1.00, 0.10, 45.0, 2e8),
}
MONTHLY_LAGS = {"INDPRO": 47, "CPIAUCSL": 45, "UNRATE": 38, "FEDFUNDS": 33}
DAILY_LAGS = {"T10Y2Y": 1, "DTB3": 1}
MACRO_LEAD_MONTHS = 60
Z_CLIP = 4.0


def _macro(months: pd.DatetimeIndex, env: environment.Environment, seed: int) -> dict[str, pd.Series]:
    """Monthly INDPRO, CPIAUCSL, UNRATE, FEDFUNDS (rounded like FRED) indexed by the 1st of the month."""
    rng = stream(seed, NAME, "macro")
    n = len(months)
    e = rng.standard_normal((n, 3))
    g, p, u = np.empty(n), np.empty(n), np.empty(n)
    g[0], p[0], u[0] = 0.15 + 0.7 * e[0, 0], 0.18 + 0.19 * e[0, 1], 5.0 + 0.8 * e[0, 2]
    for j in range(1, n):
        g[j] = 0.15 + 0.5 * (g[j - 1] - 0.15) + 0.6 * e[j, 0]
        p[j] = 0.18 + 0.6 * (p[j - 1] - 0.18) + 0.15 * e[j, 1]
        u[j] = min(12.0, max(3.0, u[j - 1] - 0.1 * (g[j] - 0.15) + 0.02 * (5.0 - u[j - 1]) + 0.08 * e[j, 2]))
    policy = pd.Series(env.policy_rate, index=env.index)
    fedfunds = policy.groupby(policy.index.to_period("M")).mean()
    fedfunds.index = fedfunds.index.to_timestamp()
    return {
        "INDPRO": pd.Series(np.round(100 * np.exp(np.cumsum(g) / 100), 4), index=months),
        "CPIAUCSL": pd.Series(np.round(230 * np.exp(np.cumsum(p) / 100), 3), index=months),
        "UNRATE": pd.Series(np.round(u, 1), index=months),
        "FEDFUNDS": fedfunds.reindex(months).round(2),
    }


def _slope(index: pd.DatetimeIndex, seed: int) -> pd.Series:
    rng = stream(seed, NAME, "t10y2y")
    phi = 0.5 ** (1 / 80)
    z = rng.standard_normal(len(index))
    s = np.empty(len(index))
    s[0] = 1.2 + 0.5 * z[0]
    for t in range(1, len(index)):
        s[t] = 1.2 + phi * (s[t - 1] - 1.2) + 0.5 * math.sqrt(1 - phi * phi) * z[t]
    return pd.Series(np.round(s, 2), index=index)


def visible_as_of(series: pd.Series, lag_days: int, moment: pd.Timestamp, count: int) -> np.ndarray:
    """The last ``count`` observations whose release date (observation + lag) is before ``moment``'s day."""
    released = series.index + pd.Timedelta(days=lag_days)
    values = series[released < moment.normalize()].to_numpy()
    return values[-count:] if len(values) >= count else np.full(count, np.nan)


def features_at(moment: pd.Timestamp, fred: dict[str, FredSeries]) -> dict[str, float]:
    """Raw (unstandardised) features visible at 00:00 on ``moment``'s day."""
    def last(series_id: str, count: int) -> np.ndarray:
        s = fred[series_id]
        return visible_as_of(s.values, s.release_lag_days, moment, count)

    ip, cpi = last("INDPRO", 2), last("CPIAUCSL", 2)
    return {
        "indpro_growth": (ip[1] / ip[0] - 1) * 100,
        "cpi_inflation": (cpi[1] / cpi[0] - 1) * 100,
        "unrate_change": float(np.diff(last("UNRATE", 2))[0]),
        "t10y2y": float(last("T10Y2Y", 1)[0]),
        "fedfunds_change": float(np.diff(last("FEDFUNDS", 2))[0]),
    }


def standardise(raw: dict[str, float]) -> np.ndarray:
    return np.array([np.clip((raw[f] - FEATURE_SCALING[f][0]) / FEATURE_SCALING[f][1], -Z_CLIP, Z_CLIP)
                     for f in FEATURES])


def simulate(index: pd.DatetimeIndex, seed: int) -> SyntheticMarket:
    first_month = (index[0] - pd.DateOffset(months=MACRO_LEAD_MONTHS)).to_period("M").to_timestamp()
    lead = sessions(first_month, index[0] - timedelta(days=1))
    full = lead.append(index)
    env = environment.market(seed, full)
    months = pd.date_range(first_month, index[-1], freq="MS")
    macro = _macro(months, env, seed)
    slope = _slope(full, seed)
    fred = {sid: FredSeries(values, MONTHLY_LAGS[sid]) for sid, values in macro.items()}
    fred["T10Y2Y"] = FredSeries(slope, DAILY_LAGS["T10Y2Y"])
    fred["DTB3"] = FredSeries(pd.Series(env.tbill, index=full), DAILY_LAGS["DTB3"])

    out = slice(len(lead), len(full))
    n, k = len(index), len(SECTORS)
    params = np.array([SECTOR_PARAMS[s] for s in SECTORS])
    beta, idio, start_price, dollar_volume = params.T
    loadings = np.array([LOADINGS[s] for s in SECTORS])
    v = idio[None, :] / math.sqrt(TRADING_DAYS) * np.sqrt(env.vix_prev[out][:, None] / environment.VIX_MEAN)
    m = env.market_log_return[out]
    e = stream(seed, NAME, "returns").standard_normal((n, k))
    month_of = index.to_period("M")
    signal = np.zeros((n, k))
    monthly = []
    for month in month_of.unique():
        pos = np.flatnonzero(month_of == month)
        raw = features_at(index[pos[0]], fred)
        x = standardise(raw)
        a = loadings @ x
        if len(pos) > 1:
            signal[pos[1:]] = a / (len(pos) - 1)
        monthly.append({"month": str(month), "first_session": index[pos[0]].date().isoformat(),
                        "features": dict(zip(FEATURES, (float(xx) for xx in x), strict=True)),
                        "expected": dict(zip(SECTORS, (float(aa) for aa in a), strict=True))})
    logs = beta * m[:, None] + v * e + signal
    sigma = np.sqrt((beta * env.market_sigma[out][:, None]) ** 2 + v ** 2)
    path = price_path(logs, start_price)
    frames = equity_bars(index, path, sigma, logs / sigma, dollar_volume, stream(seed, NAME, "bars"))
    equities = {t: Equity(frames[j], split_events(index, path.split_ratio[:, j])) for j, t in enumerate(SECTORS)}
    shared, indexes, _, _ = env.sliced(index).shared_outputs(("VIX",))
    equities.update(shared)
    tickers = sorted(equities)
    truth = {
        "model": "r[s,t] = beta_s*m[t] + v[s,t]*e[s,t] + a[s,M]/(N_M-1) on sessions 2..N_M of month M; "
                 "a[s,M] = sum_k B[s,k]*x[k,M]; x = clip((raw - center)/scale, -4, 4) from FRED values visible at "
                 "00:00 on M's first session (release date < that day); SPY log return = m[t]",
        "features": list(FEATURES),
        "feature_scaling": {f: {"center": c, "scale": s} for f, (c, s) in FEATURE_SCALING.items()},
        "loadings": {s: dict(zip(FEATURES, LOADINGS[s], strict=True)) for s in SECTORS},
        "betas": {s: float(beta[j]) for j, s in enumerate(SECTORS)},
        "idio_vol": {s: float(idio[j]) for j, s in enumerate(SECTORS)},
        "release_lag_days": {**MONTHLY_LAGS, **DAILY_LAGS},
        "z_clip": Z_CLIP,
        "holding_period": "close of a month's first session to the close of the next month's first session",
        "monthly": monthly,
        "tickers": {"equity": tickers, "index": sorted(indexes), "fred": sorted(fred)},
    }
    rates = pd.Series(env.tbill[out], index=index, name="rate")
    return SyntheticMarket(equities=equities, indexes=indexes, rates_percent=rates, fred=fred, truth=truth)
