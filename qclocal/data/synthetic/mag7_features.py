"""The mag7 strategy's trend/volatility features, computed online (one session at a time, vectorised over names).

Definitions (the Mag7 source's ``PrepareFeatures``, on split-adjusted prices):

- ``Return``: close / previous close - 1.
- ``MACD_Hist``: ``ema12 - ema26 - ema9(ema12 - ema26)``, EMAs with ``adjust=False`` seeded at the first value.
- ``BB_Width``: ``2 * 1.25 * std20(close) / sma20(close)`` (sample std, ddof 1).
- ``PSAR_Dist``: ``(close - psar) / close``, Parabolic SAR with step 0.02 and maximum 0.2 as in the source's loop
  (the first two values are the closes; a bull run starts at the first bar).
- Each is z-scored over the last 252 values including today (rolling mean and sample std).
- Regime: close above its 200-session simple moving average.
"""

from __future__ import annotations

import numpy as np

FEATURES = ("return", "macd_hist", "bb_width", "psar_dist")
Z_WINDOW = 252
BB_WINDOW = 20
BB_K = 1.25
SMA_WINDOW = 200
AF_STEP, AF_MAX = 0.02, 0.2


class OnlineFeatures:
    """Feed one session's adjusted close/high/low per call; read z-scores and the regime after it."""

    def __init__(self, n: int, k: int):
        self.t = -1
        self.close = np.full((n, k), np.nan)
        self.high = np.full((n, k), np.nan)
        self.low = np.full((n, k), np.nan)
        self.raw = np.full((n, 4, k), np.nan)          # unscaled features
        self.ema = {span: np.zeros(k) for span in (12, 26)}
        self.signal = np.zeros(k)
        self.psar = np.zeros((n, k))
        self.bull = np.ones(k, dtype=bool)
        self.af = np.full(k, AF_STEP)
        self.hp = np.zeros(k)
        self.lp = np.zeros(k)

    def update(self, close: np.ndarray, high: np.ndarray, low: np.ndarray) -> None:
        self.t += 1
        t = self.t
        self.close[t], self.high[t], self.low[t] = close, high, low
        for span, value in self.ema.items():
            a = 2.0 / (span + 1)
            self.ema[span] = close if t == 0 else a * close + (1 - a) * value
        macd = self.ema[12] - self.ema[26]
        self.signal = macd if t == 0 else 0.2 * macd + 0.8 * self.signal
        self.raw[t, 1] = macd - self.signal
        if t > 0:
            self.raw[t, 0] = close / self.close[t - 1] - 1
        if t >= BB_WINDOW - 1:
            window = self.close[t - BB_WINDOW + 1: t + 1]
            self.raw[t, 2] = 2 * BB_K * window.std(axis=0, ddof=1) / window.mean(axis=0)
        self._psar_step(t)
        self.raw[t, 3] = (close - self.psar[t]) / close

    def _psar_step(self, t: int) -> None:
        close, high, low = self.close, self.high, self.low
        if t == 0:
            self.hp, self.lp = high[0].copy(), low[0].copy()
        if t < 2:
            self.psar[t] = close[t]
            return
        for j in range(close.shape[1]):
            prev = self.psar[t - 1, j]
            if self.bull[j]:
                value = prev + self.af[j] * (self.hp[j] - prev)
                if not value < low[t, j]:
                    self.bull[j] = False
                    value, self.lp[j], self.af[j] = self.hp[j], low[t, j], AF_STEP
                else:
                    if high[t, j] > self.hp[j]:
                        self.hp[j] = high[t, j]
                        self.af[j] = min(self.af[j] + AF_STEP, AF_MAX)
                    value = min(value, low[t - 1, j], low[t - 2, j])
            else:
                value = prev + self.af[j] * (self.lp[j] - prev)
                if value < high[t, j]:
                    self.bull[j] = True
                    value, self.hp[j], self.af[j] = self.lp[j], high[t, j], AF_STEP
                else:
                    if low[t, j] < self.lp[j]:
                        self.lp[j] = low[t, j]
                        self.af[j] = min(self.af[j] + AF_STEP, AF_MAX)
                    value = max(value, high[t - 1, j], high[t - 2, j])
            self.psar[t, j] = value

    def zscores(self) -> np.ndarray | None:
        """(4, k) z-scores of today's features, or None while the 252-value windows are incomplete."""
        t = self.t
        first = t - Z_WINDOW + 1
        if first < BB_WINDOW - 1:
            return None
        window = self.raw[first: t + 1]
        return (self.raw[t] - window.mean(axis=0)) / window.std(axis=0, ddof=1)

    def above_sma(self) -> np.ndarray | None:
        t = self.t
        if t < SMA_WINDOW - 1:
            return None
        return self.close[t] > self.close[t - SMA_WINDOW + 1: t + 1].mean(axis=0)
