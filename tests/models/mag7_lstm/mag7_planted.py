"""A small synthetic market for the Mag7 LSTM tests, with a planted, learnable effect.

Each ticker has a hidden trend state, +1 or -1, that flips with probability ``switch`` per day (mean spell 1 /
switch days). Its daily log return is ``market + drift * state + vol * noise``. The state shows in the recent
returns (and so in MACD, PSAR distance, ...), and it persists, so the next 21 days' return is predictable from the
last 60 days: ``E[sum of next 21 returns | state] ~ drift * state * sum_k (1 - 2 switch)^k``. 12-1 momentum looks
at returns 21 to 252 days back, older than a spell, so it carries almost none of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TICKERS = ("AAPL", "MSFT", "GOOGL", "AMZN", "META", "TSLA", "NVDA", "AMD")


def planted_market(n_days: int = 1700, *, tickers: tuple[str, ...] = TICKERS, seed: int = 0, drift: float = 0.003,
                   vol: float = 0.015, switch: float = 1 / 60, start: str = "2010-01-04"
                   ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """({ticker: OHLC DataFrame}, hidden states (dates x tickers))."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n_days)
    k = len(tickers)
    flips = rng.random((n_days, k)) < switch
    state = np.where(np.cumsum(flips, axis=0) % 2 == 0, 1.0, -1.0) * rng.choice([-1.0, 1.0], size=k)
    market = rng.normal(0.0003, 0.008, size=(n_days, 1))
    log_ret = market + drift * np.vstack([state[:1], state[:-1]]) + vol * rng.standard_normal((n_days, k))
    log_ret[0] = 0.0
    close = 100.0 * np.exp(np.cumsum(log_ret, axis=0))
    prev = np.vstack([close[:1], close[:-1]])
    open_ = prev * np.exp(0.3 * vol * rng.standard_normal((n_days, k)))
    high = np.maximum(open_, close) * np.exp(0.4 * vol * np.abs(rng.standard_normal((n_days, k))))
    low = np.minimum(open_, close) * np.exp(-0.4 * vol * np.abs(rng.standard_normal((n_days, k))))
    bars = {t: pd.DataFrame({"open": open_[:, j], "high": high[:, j], "low": low[:, j], "close": close[:, j],
                             "volume": 1e6}, index=dates) for j, t in enumerate(tickers)}
    return bars, pd.DataFrame(state, index=dates, columns=list(tickers))


def treasury_series(dates: pd.DatetimeIndex, daily: float = 0.0001) -> pd.Series:
    return pd.Series(100.0 * (1 + daily) ** np.arange(len(dates)), index=dates, name="BIL")
