"""Building blocks shared by the synthetic scenarios: sessions, random streams, price paths, OHLCV, splits.

Conventions used by every scenario:

- Sessions are real NYSE (XNYS) trading days from ``exchange_calendars``, holidays and special closures included.
- Each model component draws from its own random stream, seeded from ``(seed, scenario, component)``, and draws
  time-major (row ``t`` of a ``(n, k)`` array belongs to session ``t``). Extending ``end`` therefore leaves every
  earlier session unchanged, and adding a component never shifts another component's numbers.
- Prices are simulated as a latent total-return path. The observed *raw* price is that path divided by the
  cumulative split ratio, rounded to cents (to 1/10000 dollar below $1). A split happens at the open after a raw
  close above ``split_above``; a reverse split after a raw close below ``reverse_below``.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

TRADING_DAYS = 252


def to_date(value: str | date | pd.Timestamp, name: str) -> date:
    """A date from 'YYYY-MM-DD', a date or a Timestamp; a clear error otherwise."""
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} must be a date like 2012-01-03, got {value!r}") from exc


def sessions(start: str | date, end: str | date) -> pd.DatetimeIndex:
    """NYSE trading sessions in [start, end], as naive midnight timestamps."""
    from qclocal.data.calendars import session_dates

    first, last = to_date(start, "start"), to_date(end, "end")
    if last < first:
        raise ValueError(f"end {last} is before start {first}")
    return pd.DatetimeIndex(session_dates(first, last, "XNYS"), name="date")


def stream(seed: int, scenario: str, component: str) -> np.random.Generator:
    """An independent random stream for one model component of one scenario."""
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    key = [int(seed), zlib.crc32(scenario.encode()), zlib.crc32(component.encode())]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(key)))


def round_price(price: np.ndarray) -> np.ndarray:
    """Exchange-like ticks: cents from $1, 1/10000 dollar below."""
    price = np.asarray(price, dtype=float)
    return np.where(price >= 1.0, np.round(price, 2), np.round(price, 4)).clip(min=1e-4)


@dataclass
class Splitter:
    """Online split rule: decides a split for the next session from today's raw close (vectorised over names)."""

    split_above: float | np.ndarray = np.inf
    reverse_below: float | np.ndarray = 1.0

    def ratio(self, raw_close: np.ndarray) -> np.ndarray:
        """Shares multiply by this at the next open (1 = no split; 0.1 = 1-for-10 reverse split)."""
        raw_close = np.asarray(raw_close, dtype=float)
        above = np.broadcast_to(np.asarray(self.split_above, dtype=float), raw_close.shape)
        below = np.broadcast_to(np.asarray(self.reverse_below, dtype=float), raw_close.shape)
        out = np.ones_like(raw_close)
        high = raw_close > above
        # Smallest power of two that brings the price to at most 40% of the threshold.
        out[high] = 2.0 ** np.ceil(np.log2(raw_close[high] / (0.4 * above[high])))
        out[raw_close < below] = 0.1
        return out

    def column(self, j: int) -> Splitter:
        """The rule for name j alone (scalar thresholds)."""
        above, below = np.asarray(self.split_above, float), np.asarray(self.reverse_below, float)
        return Splitter(float(above if above.ndim == 0 else above[j]), float(below if below.ndim == 0 else below[j]))


@dataclass
class PricePath:
    """Latent total-return prices and the observed raw (split-unadjusted, rounded) closes of k names."""

    adjusted: np.ndarray               # (n, k) latent price in today's share units (last split applied)
    raw_close: np.ndarray              # (n, k) observed raw close
    split_ratio: np.ndarray            # (n, k) split taking effect at the open of session t (1 = none)


def price_path(log_returns: np.ndarray, start_price: np.ndarray, splitter: Splitter | None = None) -> PricePath:
    """Raw closes from daily log returns, with online splits; ``log_returns[0]`` is ignored (day one closes at
    ``start_price``)."""
    log_returns = np.atleast_2d(np.asarray(log_returns, dtype=float))
    n, k = log_returns.shape
    splitter = splitter or Splitter()
    latent = np.asarray(start_price, dtype=float) * np.exp(np.cumsum(np.vstack([np.zeros((1, k)),
                                                                                log_returns[1:]]), axis=0))
    raw = np.empty((n, k))
    ratio = np.ones((n, k))
    shares = np.ones(k)                # cumulative split ratio so far
    for j in range(k):                 # vectorised between splits; the same rule as deciding day by day
        rule = splitter.column(j)
        start = 0
        while start < n:
            raw[start:, j] = round_price(latent[start:, j] / shares[j])
            decided = rule.ratio(raw[start:n - 1, j])
            hits = np.flatnonzero(decided != 1.0)
            if len(hits) == 0:
                break
            start += hits[0] + 1
            ratio[start, j] = decided[hits[0]]
            shares[j] *= ratio[start, j]
    return PricePath(adjusted=latent / shares, raw_close=raw, split_ratio=ratio)


def ohlc(prev_close: np.ndarray, close: np.ndarray, sigma: np.ndarray, noise: np.ndarray) -> tuple[np.ndarray, ...]:
    """Open/high/low consistent with the close. ``noise[..., 0:3]`` are standard normals; ``sigma`` the day's
    return volatility. The overnight gap carries 30% of the day's move; the range grows with volatility."""
    prev_close, close = np.asarray(prev_close, float), np.asarray(close, float)
    move = np.log(close / prev_close)
    gap = 0.3 * move + 0.25 * sigma * noise[..., 0]
    open_ = round_price(prev_close * np.exp(gap))
    top = np.maximum(open_, close) * np.exp(0.5 * sigma * np.abs(noise[..., 1]))
    bottom = np.minimum(open_, close) * np.exp(-0.5 * sigma * np.abs(noise[..., 2]))
    return open_, round_price(np.maximum(top, np.maximum(open_, close))), \
        round_price(np.minimum(bottom, np.minimum(open_, close)))


def share_volume(dollar_volume: np.ndarray, price: np.ndarray, shock: np.ndarray, ar_state: np.ndarray,
                 noise: np.ndarray) -> np.ndarray:
    """Shares traded: typical dollar volume / price, times a persistent lognormal liquidity state, times
    (1 + 0.6 |shock|), so volume rises on large moves (|shock| is the day's standardised return)."""
    level = dollar_volume * np.exp(ar_state + 0.25 * noise) * (1.0 + 0.6 * np.abs(shock)) / 1.4
    return np.maximum(np.round(level / np.maximum(price, 0.01)), 100.0)


def liquidity_states(normals: np.ndarray, phi: float = 0.95, sd: float = 0.15) -> np.ndarray:
    """AR(1) log-liquidity states from standard normals (n, k), stationary with standard deviation ``sd``."""
    out = np.empty(normals.shape)
    out[0] = normals[0] * sd
    innovation = sd * math.sqrt(1 - phi * phi)
    for t in range(1, len(normals)):
        out[t] = phi * out[t - 1] + innovation * normals[t]
    return out


def bars_frame(index: pd.DatetimeIndex, open_: np.ndarray, high: np.ndarray, low: np.ndarray,
               close: np.ndarray, volume: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume},
                        index=pd.DatetimeIndex(index, name="date"))


def equity_bars(index: pd.DatetimeIndex, path: PricePath, sigma: np.ndarray, shocks: np.ndarray,
                dollar_volume: np.ndarray, rng: np.random.Generator) -> list[pd.DataFrame]:
    """Daily OHLCV frames, one per name, for a :class:`PricePath` whose closes were already decided."""
    n, k = path.raw_close.shape
    noise = rng.standard_normal((n, k, 5))
    liquidity = liquidity_states(noise[..., 4])
    sigma = np.broadcast_to(np.asarray(sigma, float), (n, k))
    # The previous close in today's share units: a split at today's open divides yesterday's raw close.
    prev = np.vstack([path.raw_close[:1], path.raw_close[:-1]]) / path.split_ratio
    prev[0] = path.raw_close[0] * np.exp(-0.3 * sigma[0] * noise[0, :, 3])
    open_, high, low = ohlc(prev, path.raw_close, sigma, noise)
    volume = share_volume(np.asarray(dollar_volume, float), path.raw_close, shocks, liquidity, noise[..., 3])
    return [bars_frame(index, open_[:, j], high[:, j], low[:, j], path.raw_close[:, j], volume[:, j])
            for j in range(k)]


HOUR_STARTS = tuple(range(9, 16))   # LEAN stamps a session's hour bars 09:00 (09:30-10:00) ... 15:00 (15-16)
HOUR_SPANS = np.array([0.5, 1, 1, 1, 1, 1, 1])   # hours of trading in each bar
HOUR_VOLUME_SHARE = np.array([1.6, 1.1, 0.9, 0.8, 0.8, 1.0, 1.8])


def hour_bars(daily: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The hour bars of each session's trading hours (seven, or four on a 13:00 early close), consistent with the
    daily bar: the first opens at the day's open, the last closes at its close, every price lies in the day's
    low..high and the day's high and low are both reached; volumes sum to the day's. The path between open and
    close is a Brownian bridge whose scale follows the day's range. Indexed by bar start, as LEAN's hour files
    are."""
    from qclocal.data.calendars import sessions as exchange_sessions

    index = pd.DatetimeIndex(daily.index).normalize()
    closes = exchange_sessions(index[0], index[-1])["close"].reindex(index)
    counts = (closes.dt.hour + (closes.dt.minute > 0) - HOUR_STARTS[0]).to_numpy()  # 16:00 -> 7, 13:00 -> 4
    noise = rng.standard_normal((len(daily), len(HOUR_STARTS), 3))  # one draw per regular slot: same stream
    parts = [_bridge(daily.iloc[rows], noise[rows, :count], count)
             for count in np.unique(counts) for rows in [np.flatnonzero(counts == count)]]
    return pd.concat(parts).sort_index()


def _bridge(daily: pd.DataFrame, noise: np.ndarray, count: int) -> pd.DataFrame:
    o, h, lo, c, v = (daily[k].to_numpy(float)[:, None] for k in ("open", "high", "low", "close", "volume"))
    n = len(daily)
    spans = HOUR_SPANS[:count] / HOUR_SPANS[:count].sum()
    walk = np.cumsum(noise[..., 0] * np.sqrt(spans), axis=1)
    elapsed = np.cumsum(spans)
    bridge = walk - elapsed * walk[:, -1:]
    scale = np.log(h / lo) / 3
    close = np.clip(round_price(np.exp(np.log(o) + elapsed * np.log(c / o) + scale * bridge)), lo, h)
    close[:, -1] = c[:, 0]
    open_ = np.hstack([o, close[:, :-1]])
    high = np.minimum(np.maximum(open_, close) * np.exp(0.3 * scale * np.abs(noise[..., 1])), h)
    low = np.maximum(np.minimum(open_, close) * np.exp(-0.3 * scale * np.abs(noise[..., 2])), lo)
    rows = np.arange(n)
    high[rows, np.argmax(high, axis=1)] = h[:, 0]
    low[rows, np.argmin(low, axis=1)] = lo[:, 0]
    share = HOUR_VOLUME_SHARE[:count]
    volume = np.floor(v * share / share.sum())
    volume[:, -1] += v[:, 0] - volume.sum(axis=1)
    starts = (pd.DatetimeIndex(daily.index).normalize().to_numpy()[:, None]
              + np.array([np.timedelta64(hour, "h") for hour in HOUR_STARTS[:count]])[None, :])
    return bars_frame(pd.DatetimeIndex(starts.ravel()), open_.ravel(), round_price(high).ravel(),
                      round_price(low).ravel(), close.ravel(), volume.ravel())


def split_events(index: pd.DatetimeIndex, split_ratio: np.ndarray) -> list[tuple[date, float]]:
    """(ex-date, ratio) for one name's split column."""
    return [(index[t].date(), float(r)) for t, r in enumerate(split_ratio) if t > 0 and r != 1.0]


@dataclass
class Equity:
    bars: pd.DataFrame                                   # raw OHLCV indexed by session date
    splits: list[tuple[date, float]] = field(default_factory=list)
    in_coarse: bool = False                              # listed in the coarse universe files
    hour_bars: pd.DataFrame | None = None                # raw hour bars (bar start), when the scenario has them


@dataclass
class FredSeries:
    values: pd.Series                                    # indexed by observation date
    release_lag_days: int                                # calendar days from observation date to release


@dataclass
class SyntheticMarket:
    """Everything one scenario writes. ``truth`` is JSON-serialisable."""

    equities: dict[str, Equity]
    indexes: dict[str, pd.DataFrame]                     # OHLC (+ volume 0) indexed by session date
    rates_percent: pd.Series                             # risk-free rate, percent, per session
    fred: dict[str, FredSeries]
    truth: dict
    diagnostics: dict = field(default_factory=dict)      # in-memory only (never written), for tests


def log_returns_of(raw_close: np.ndarray, split_ratio: np.ndarray) -> np.ndarray:
    """Observed split-adjusted daily log returns (row 0 is NaN)."""
    raw_close = np.asarray(raw_close, float)
    out = np.full(raw_close.shape, np.nan)
    out[1:] = np.log(raw_close[1:] * split_ratio[1:] / raw_close[:-1])
    return out


def calendar_years_between(index: pd.DatetimeIndex) -> np.ndarray:
    """Calendar days from the previous session, in years (365-day basis); the first entry uses one day."""
    days = np.diff(index.values.astype("datetime64[D]")).astype(float)
    return np.concatenate([[1.0], days]) / 365.0
