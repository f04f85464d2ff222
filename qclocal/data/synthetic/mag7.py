"""Scenario ``mag7``: AAPL MSFT GOOGL AMZN META TSLA NVDA AMD, with QQQ, BIL and SPY.

Generative model (log returns, session t; ``m_t`` the environment's market return, ``sigma_t`` its daily vol):

- SPY, QQQ (``1.15 m_t + f_t``, ``f_t`` the tech factor), VIX and the bill rate are the shared market (see
  ``environment``).
- Stock i: ``r_{i,t} = alpha_i / 252 + beta_i m_t + c_i f_t + v_{i,t} (s_{i,t-1} + e_{i,t})`` with idiosyncratic
  daily vol ``v_{i,t} = idio_i / sqrt(252) * sqrt(VIX_{t-1} / 17)`` (``idio_i`` from the name's total vol).
- The planted effect acts over the strategy's 21-session label horizon. At the close of each session u, the
  name's *impulse* is ``q_u = strength * (sum_k g_k clip(z_k,u, -4, 4) + g_trend (1[close_u > SMA200_u] - 1/2))``,
  from its split-adjusted OHLC up to u, with ``z_k`` the mag7 features (see ``mag7_features``: daily return,
  MACD histogram 12/26/9, Bollinger width +-1.25 sd over 20, distance to PSAR 0.02/0.2, each z-scored over 252
  sessions). ``q_u`` is spread evenly over the next 21 sessions: ``s_t = (1/21) sum_{j=0}^{20} q_{t-j}``, so
  each session's feature state adds ``q_u`` daily idiosyncratic vols to the name's log return over the 21
  sessions after it, and nothing after that.
- So at a decision on session d (from the close of d-1) the planted part of the next 21 sessions' return that is
  already determined is ``v * sum_{m=0}^{20} q_{d-1-m} (21 - m) / 21``: it is persistent over the whole label
  window, and it depends only on the last 21 sessions' features, which a 60-bar LSTM window sees in full.
  Daily it is weak (``s`` has a standard deviation of ~0.18 daily idiosyncratic vols, ~3% of a day's variance);
  over 21 sessions it ranks the 8 names with a monthly Spearman IC of ~0.35 (``truth["realised"]``).
- Features run on a 300-session burn-in before ``start`` (simulated on real earlier sessions, not written), so
  the effect is live from the first written session.
- BIL accrues the 3-month bill less 0.135% a year, with 1 bp daily noise, from $91.50. Splits: 2^k-for-1 after
  a raw close above each name's threshold. Start prices apply at the start of the burn-in.

Recovery: regress ``r_{i,t} / v_{i,t}`` on the 21-session means of the lagged clipped z-scores and of the centred
regime (sessions t-21 .. t-1), controlling for the same-day SPY and QQQ returns scaled by ``1 / v_{i,t}``; the
slopes estimate ``strength * g`` with residual sd 1.
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
    Splitter,
    SyntheticMarket,
    bars_frame,
    equity_bars,
    liquidity_states,
    ohlc,
    price_path,
    round_price,
    sessions,
    share_volume,
    split_events,
    stream,
)
from qclocal.data.synthetic.mag7_features import FEATURES, OnlineFeatures

NAME = "mag7"
DESCRIPTION = ("8 mega-cap tech stocks with QQQ and BIL; a weak planted part of forward returns depends on "
               "MACD, Bollinger width, PSAR distance, daily return (z-scored) and price > SMA(200)")

STOCKS = ("AAPL", "MSFT", "GOOGL", "AMZN", "META", "TSLA", "NVDA", "AMD")
# total annual vol, beta to market, tech-factor loading, annual alpha, start price, dollar volume, split above
NAME_PARAMS = {
    "AAPL": (0.28, 1.10, 0.8, 0.04, 405.0, 12e9, 700.0),
    "MSFT": (0.25, 1.00, 0.8, 0.04, 27.0, 3e9, 400.0),
    "GOOGL": (0.27, 1.05, 0.8, 0.03, 330.0, 2e9, 3000.0),
    "AMZN": (0.32, 1.10, 1.0, 0.05, 175.0, 3e9, 3500.0),
    "META": (0.36, 1.15, 1.0, 0.04, 38.0, 2e9, 1000.0),
    "TSLA": (0.55, 1.30, 1.0, 0.08, 28.0, 1e9, 1500.0),
    "NVDA": (0.45, 1.40, 1.2, 0.08, 14.0, 1e9, 500.0),
    "AMD": (0.55, 1.50, 1.2, 0.05, 5.5, 0.8e9, float("inf")),
}
# Impulse loadings: the extra log return over the next HORIZON sessions per unit of clipped z-score (or of the
# centred regime), in units of the name's daily idiosyncratic vol. STRENGTH scales them all.
LOADINGS = {"return": -0.20, "macd_hist": 0.12, "bb_width": -0.12, "psar_dist": 0.12}
TREND_LOADING = 0.10
STRENGTH = 1.0
HORIZON = 21
Z_CLIP = 4.0
BURN_IN = 300
SCENARIO_VERSION = 2          # 1: one-session effect of today's features; 2: spread over the next 21 sessions
MARKET_VAR = (environment.REALISED_TO_IMPLIED * 0.185) ** 2      # typical annual market variance
FACTOR_VAR = environment.QQQ_IDIO_TO_MARKET_VOL ** 2 * MARKET_VAR
BIL_START_PRICE = 91.5


def idio_vol(total: float, beta: float, loading: float) -> float:
    return math.sqrt(max(total ** 2 - beta ** 2 * MARKET_VAR - loading ** 2 * FACTOR_VAR, 0.01))


def simulate(index: pd.DatetimeIndex, seed: int) -> SyntheticMarket:
    start = index[0]
    burn = sessions(start - timedelta(days=500), start - timedelta(days=1))[-BURN_IN:]
    full = burn.append(index)
    n, b, k = len(full), len(burn), len(STOCKS)
    env = environment.market(seed, full)
    z = stream(seed, NAME, "returns").standard_normal((n, k))
    noise = stream(seed, NAME, "ohlc").standard_normal((n, k, 5))
    liquidity = liquidity_states(noise[..., 4])
    params = np.array([NAME_PARAMS[s] for s in STOCKS])
    vol, beta, load, alpha, start_price, dollar_volume, split_above = params.T
    idio = np.array([idio_vol(v, bt, c) for v, bt, c in zip(vol, beta, load, strict=True)])
    factor = env.tech_log_return
    v = idio[None, :] / math.sqrt(TRADING_DAYS) * np.sqrt(env.vix_prev[:, None] / environment.VIX_MEAN)
    g = np.array([LOADINGS[f] for f in FEATURES])
    splitter = Splitter(split_above=split_above)

    impulses = np.zeros((HORIZON, k))          # q of the last HORIZON sessions (a ring buffer)
    impulse = np.zeros((n, k))
    feats = OnlineFeatures(n, k)
    latent = start_price.copy()
    shares = np.ones(k)
    raw = np.zeros((n, k))
    ratio = np.ones((n, k))
    bars = np.zeros((n, k, 5))
    adjusted = np.zeros((n, k))
    signal = np.zeros((n, k))
    zs = np.full((n, 4, k), np.nan)
    regime = np.full((n, k), np.nan)
    for t in range(n):
        if t > 0:
            r = alpha / TRADING_DAYS + beta * env.market_log_return[t] + load * factor[t] \
                + v[t] * (signal[t - 1] + z[t])
            latent = latent * np.exp(r)
            ratio[t] = splitter.ratio(raw[t - 1])
            shares = shares * ratio[t]
        raw[t] = round_price(latent / shares)
        prev = raw[t - 1] / ratio[t] if t > 0 else raw[0] * np.exp(-0.3 * v[0] * noise[0, :, 3])
        day_sigma = np.sqrt(beta ** 2 * env.market_sigma[t] ** 2 + v[t] ** 2)
        o, h, lo = ohlc(prev, raw[t], day_sigma, noise[t])
        shock = np.log(raw[t] / prev) / day_sigma
        bars[t] = np.column_stack([o, h, lo, raw[t],
                                   share_volume(dollar_volume, raw[t], shock, liquidity[t], noise[t, :, 3])])
        adjusted[t] = raw[t] * shares
        feats.update(adjusted[t], h * shares, lo * shares)
        zt, above = feats.zscores(), feats.above_sma()
        if zt is not None and above is not None:
            zs[t], regime[t] = zt, above
            impulse[t] = STRENGTH * (g @ np.clip(zt, -Z_CLIP, Z_CLIP) + TREND_LOADING * (above - 0.5))
        impulses[t % HORIZON] = impulse[t]
        signal[t] = impulses.mean(axis=0)

    out = slice(b, n)
    equities = {s: Equity(bars_frame(index, *bars[out, j].T), split_events(index, ratio[out, j]))
                for j, s in enumerate(STOCKS)}
    shared = env.sliced(index)
    funds, indexes, rates, fred = shared.shared_outputs(("VIX",))
    equities.update(funds)
    equities["QQQ"] = shared.fund("QQQ")
    equities["BIL"] = _bil(shared, seed)
    live = ~np.isnan(regime[out])
    ic = monthly_ic(index, known_part(impulse, v)[out], adjusted[out])
    truth = {
        "model": "r[i,t] = alpha_i/252 + beta_i*m[t] + c_i*f[t] + v[i,t]*(s[i,t-1] + e[i,t]); "
                 "s[t] = mean(q[t-20..t]); q = strength*(sum_k g_k*clip(z_k, -4, 4) + g_trend*(1[close > SMA200] "
                 "- 0.5)); v[i,t] = idio_i/sqrt(252)*sqrt(VIX[t-1]/17); log returns of split-adjusted closes",
        "scenario_version": SCENARIO_VERSION,
        "features": list(FEATURES),
        "loadings": dict(LOADINGS),
        "trend_loading": TREND_LOADING,
        "strength": STRENGTH,
        "horizon": HORIZON,
        "z_clip": Z_CLIP,
        "z_window": 252,
        "burn_in_sessions": BURN_IN,
        "names": {s: {"total_vol": vol[j], "beta": beta[j], "tech_loading": load[j], "alpha": alpha[j],
                      "idio_vol": idio[j], "start_price": start_price[j]} for j, s in enumerate(STOCKS)},
        "realised": {
            "signal_sd": float(np.nanstd(signal[out])),
            "impulse_sd": float(np.nanstd(impulse[out])),
            # the determined part of the next 21 sessions' return (known_part) against the realised sum of
            # the 21 daily simple returns from each month's first session: Spearman over the 8 names
            "monthly_ic_mean": ic[0], "monthly_ic_t": ic[1], "monthly_ic_dates": ic[2],
            "share_above_sma200": float(np.nanmean(regime[out])),
            "sessions_with_signal": int(live.all(axis=1).sum()),
        },
        "tickers": {"equity": sorted(equities), "index": sorted(indexes), "fred": sorted(fred)},
        "splits": {t: [[d.isoformat(), r] for d, r in e.splits] for t, e in equities.items() if e.splits},
    }
    return SyntheticMarket(equities=equities, indexes=indexes, rates_percent=rates, fred=fred, truth=truth)


def known_part(impulse: np.ndarray, v: np.ndarray) -> np.ndarray:
    """At session t (after its close): the planted log return of sessions t+1 .. t+HORIZON that is already
    determined, ``v_t sum_{m=0}^{H-1} q_{t-m} (H - m) / H`` (later impulses are not known yet; ``v`` is held at
    today's value)."""
    weights = (HORIZON - np.arange(HORIZON)) / HORIZON
    out = np.zeros_like(impulse)
    for m, w in enumerate(weights):
        out[m:] += w * impulse[: len(impulse) - m]
    return out * v


def monthly_ic(index: pd.DatetimeIndex, expected: np.ndarray, close: np.ndarray) -> tuple[float, float, int]:
    """(mean, t, dates) of the Spearman IC between ``expected`` at the session before each month's first
    session d and the sum of the daily simple returns of sessions d .. d + HORIZON - 1."""
    ret = np.vstack([np.zeros((1, close.shape[1])), close[1:] / close[:-1] - 1])
    cum = np.cumsum(ret, axis=0)
    firsts = np.flatnonzero(np.r_[False, index.month[1:] != index.month[:-1]])
    ics = []
    for d in firsts:
        if d + HORIZON - 1 >= len(index):
            break
        realised = cum[d + HORIZON - 1] - cum[d - 1]
        a, b = expected[d - 1].argsort().argsort(), realised.argsort().argsort()
        ics.append(float(np.corrcoef(a, b)[0, 1]))
    if len(ics) < 2:
        return float("nan"), float("nan"), len(ics)
    values = np.array(ics)
    return float(values.mean()), float(values.mean() / values.std(ddof=1) * math.sqrt(len(values))), len(values)


def _bil(env: environment.Environment, seed: int) -> Equity:
    """A T-bill ETF: accrues the previous session's bill rate less 0.135% a year, with 1 bp daily noise."""
    n = len(env.index)
    noise = stream(seed, NAME, "bil").standard_normal(n)
    logs = ((env.tbill_prev / 100 - 0.00135) / TRADING_DAYS + 0.0001 * noise)[:, None]
    vols = np.full((n, 1), 0.0002)
    path = price_path(logs, np.array([BIL_START_PRICE]))
    return Equity(equity_bars(env.index, path, vols, logs / vols, np.array([2e8]), stream(seed, NAME, "bil-bars"))[0])
