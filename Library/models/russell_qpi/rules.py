"""The trading rules as pure functions: universe, VIX regime, exposure, entries, sizing with the ADV cap, exits.

The algorithm and the research backtest call the same functions, so a rule means one thing everywhere. Every
number comes from :class:`Rules`, whose defaults are the source's; ``algorithms/russell_qpi/config.json``
exposes each one. The ablations are switches on the same rules: ``use_gate`` (False: the QPI rule without the
ML gate), ``use_regime`` (False: always the bull allocation) and ``longs_only``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Rules", "ABLATIONS", "select_universe", "regime", "is_bear", "exposure", "target_weight",
           "cap_weight", "entries", "Position", "Book"]


@dataclass(frozen=True)
class Rules:
    universe_size: int = 500          # top names by dollar volume
    min_price: float = 1.0            # $ price floor of the universe
    qpi_long_max: float = 15.0        # LONG when QPI < 15 ...
    qpi_short_min: float = 85.0       # SHORT when QPI > 85 ...
    p_long_min: float = 0.60          # ... and P(long) > 0.60
    p_short_min: float = 0.60         # ... and P(short) > 0.60
    vix_window: int = 15              # bear when VIX > 1.15 x SMA(VIX, 15)
    vix_multiple: float = 1.15
    bull_long: float = 1.1            # gross exposure per side and regime
    bull_short: float = 0.2
    bear_long: float = 0.1
    bear_short: float = 0.2
    max_long: int = 20
    max_short: int = 20
    stop_loss: float = 0.05           # per position, on the close against the entry fill
    time_stop: int = 6                # exit after this many closes held
    adv_cap: float = 0.05             # an order may not exceed 5% of average daily (dollar) volume
    adv_window: int = 20
    commission_bps: float = 5.0
    slippage_bps: float = 10.0
    use_gate: bool = True
    use_regime: bool = True
    longs_only: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool):
                continue
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"rule {f.name} must be a finite number >= 0, got {value!r}")
        for name in ("universe_size", "vix_window", "time_stop", "adv_window"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"rule {name} must be at least 1, got {getattr(self, name)!r}")

    @classmethod
    def from_parameters(cls, get: Any) -> Rules:
        """Rules from LEAN parameters: ``get(name, default)`` with names like ``qpi-long-max``."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            default = f.default
            raw = get(f.name.replace("_", "-"), str(default).lower() if isinstance(default, bool) else default)
            text = str(raw).strip().lower()
            try:
                if isinstance(default, bool):
                    if text not in ("true", "false"):
                        raise ValueError
                    values[f.name] = text == "true"
                elif isinstance(default, int):
                    values[f.name] = int(float(text)) if float(text).is_integer() else int(text)
                else:
                    values[f.name] = float(text)
            except ValueError:
                kind = "true or false" if isinstance(default, bool) else type(default).__name__
                raise ValueError(f"parameter {f.name.replace('_', '-')} must be {kind}, got {raw!r}") from None
        return cls(**values)

    def variant(self, name: str) -> Rules:
        """The rules of an ablation in :data:`ABLATIONS`."""
        if name not in ABLATIONS:
            raise ValueError(f"unknown variant {name!r}; choose one of {sorted(ABLATIONS)}")
        return replace(self, **ABLATIONS[name])


ABLATIONS: dict[str, dict[str, bool]] = {
    "full": {},
    "no_gate": {"use_gate": False},
    "no_regime": {"use_regime": False},
    "longs_only": {"longs_only": True},
}


def select_universe(coarse: pd.DataFrame, rules: Rules) -> list[str]:
    """Tickers of the top ``universe_size`` by dollar volume among names with fundamentals and price >= min.

    ``coarse`` has columns ``ticker``, ``price``, ``dollar_volume``, ``has_fundamental_data`` (one day's coarse
    file, which LEAN hands to the selection at midnight after that day). Ties break by ticker.
    """
    ok = coarse[(coarse["price"] >= rules.min_price) & coarse["has_fundamental_data"].astype(bool)
                & (coarse["dollar_volume"] > 0)]
    ranked = ok.sort_values(["dollar_volume", "ticker"], ascending=[False, True], kind="mergesort")
    return [str(t) for t in ranked["ticker"].head(int(rules.universe_size))]


def regime(vix: pd.Series, rules: Rules) -> pd.Series:
    """``True`` (bear) where VIX > multiple x SMA(VIX, window) including today; NaN-free bool (False until ready)."""
    sma = vix.rolling(int(rules.vix_window)).mean()
    return (vix > rules.vix_multiple * sma).fillna(False).astype(bool)


def is_bear(vix: float, vix_sma: float, rules: Rules) -> bool:
    """Today's regime from today's VIX close and its SMA (always bull without the regime filter)."""
    return bool(rules.use_regime and vix > rules.vix_multiple * vix_sma)


def exposure(bear: bool, rules: Rules) -> tuple[float, float]:
    """(long gross, short gross) of the regime; the short side is 0 for ``longs_only``."""
    long_gross, short_gross = (rules.bear_long, rules.bear_short) if bear else (rules.bull_long, rules.bull_short)
    return long_gross, 0.0 if rules.longs_only else short_gross


def target_weight(side: str, bear: bool, rules: Rules) -> float:
    """Signed portfolio weight of one new position: the side's gross spread over its maximum count."""
    long_gross, short_gross = exposure(bear, rules)
    if side == "long":
        return long_gross / rules.max_long if rules.max_long else 0.0
    return -short_gross / rules.max_short if rules.max_short else 0.0


def cap_weight(weight: float, adv_dollars: float, portfolio_value: float, rules: Rules) -> float:
    """``weight`` shrunk so the order's value is at most ``adv_cap`` x the average daily dollar volume."""
    if not (adv_dollars > 0 and portfolio_value > 0):
        return 0.0
    limit = rules.adv_cap * adv_dollars / portfolio_value
    return float(np.sign(weight) * min(abs(weight), limit))


def entries(qpi: pd.Series, p_long: pd.Series | None, p_short: pd.Series | None, held: Iterable[str],
            n_long: int, n_short: int, rules: Rules) -> tuple[list[str], list[str]]:
    """New long and short names for today, best first, filling the free slots.

    Candidates: QPI < ``qpi_long_max`` (long) or > ``qpi_short_min`` (short), not held on either side, and, with
    the gate, probability above the side's minimum. Ranked by probability (with the gate) or by how extreme the
    QPI is (without), ties by ticker. ``n_long`` / ``n_short`` are the positions already held on each side.
    """
    held = set(held)
    q = qpi.dropna()
    q = q[~q.index.isin(held)]

    def pick(mask: pd.Series, probs: pd.Series | None, minimum: float, slots: int, extreme: pd.Series
             ) -> list[str]:
        names = q.index[mask.to_numpy()]
        if slots <= 0 or len(names) == 0:
            return []
        if rules.use_gate:
            p = (probs if probs is not None else pd.Series(dtype=float)).reindex(names)
            score = p[p > minimum]
        else:
            score = extreme.reindex(names)
        frame = pd.DataFrame({"ticker": score.index.astype(str), "score": score.to_numpy(dtype=float)})
        frame = frame.sort_values(["score", "ticker"], ascending=[False, True], kind="mergesort")
        return list(frame["ticker"].head(slots))

    longs = pick(q < rules.qpi_long_max, p_long, rules.p_long_min, rules.max_long - n_long, -q)
    shorts = [] if rules.longs_only else pick(q > rules.qpi_short_min, p_short, rules.p_short_min,
                                              rules.max_short - n_short, q)
    return longs, shorts


@dataclass
class Position:
    side: str               # "long" or "short"
    entry_price: float
    closes_held: int = 0    # closes seen since the entry fill (the fill day's close is the first)


@dataclass
class Book:
    """Open positions, their entry fills and age; says which to exit at each close (stop loss, time stop)."""

    rules: Rules
    positions: dict[str, Position] = field(default_factory=dict)

    def open(self, ticker: str, side: str, price: float) -> None:
        if side not in ("long", "short"):
            raise ValueError(f"side must be 'long' or 'short', got {side!r}")
        self.positions[ticker] = Position(side, float(price))

    def close(self, ticker: str) -> None:
        self.positions.pop(ticker, None)

    def count(self, side: str) -> int:
        return sum(1 for p in self.positions.values() if p.side == side)

    def on_close(self, closes: Mapping[str, float]) -> list[tuple[str, str]]:
        """Age every position by one close and return ``[(ticker, "stop" | "time")]`` to exit at the next open.

        A position whose close is missing today ages but is not stopped on a stale price.
        """
        exits = []
        for ticker, pos in sorted(self.positions.items()):
            pos.closes_held += 1
            price = closes.get(ticker, float("nan"))
            move = price / pos.entry_price - 1 if pos.entry_price > 0 else float("nan")
            if math.isfinite(move) and (move <= -self.rules.stop_loss if pos.side == "long"
                                        else move >= self.rules.stop_loss):
                exits.append((ticker, "stop"))
            elif pos.closes_held >= self.rules.time_stop:
                exits.append((ticker, "time"))
        return exits
