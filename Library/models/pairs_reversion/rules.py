"""Trading rules of one pair, as pure functions and a small state machine shared by research and the algorithm.

Decisions are made after a session's close and filled at the next open (market-on-open), both legs at once.

- **Entry (LSTM):** flat, P > the pair's probability threshold and ``entry_z`` < |z| < ``stop_z``: long the
  spread (buy A, sell B) when z < 0, short it when z > 0. (Without the upper bound, a spread that has drifted
  beyond the stop is entered and stopped out every other day.)
- **Entry (z-score baseline):** the same without P.
- **Exit:** after ``hold_days`` sessions in the trade (the source's 5: the exit order is placed at the close of
  the 5th session after the entry fill, so the position is held exactly 5 sessions, open to open); on a spread
  divergence stop (z beyond ``stop_z`` against the position); and, for the baseline, on reversion (z crosses 0).
- **Size:** ``notional`` dollars of A (times P when ``by_probability``, the source's $10,000 x P) against the
  same dollars of B (dollar-neutral) or ``hedge_ratio`` times them (``hedge="beta"``: the OLS ratio of the
  training window); whole shares, truncated toward zero, at the decision's closes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["RuleParameters", "PairTrader", "Action", "entry_direction", "leg_quantities"]


@dataclass(frozen=True)
class RuleParameters:
    entry_z: float = 1.0
    hold_days: int = 5          # 0: no time exit
    stop_z: float = 3.0         # 0: no divergence stop
    exit_on_reversion: bool = False
    notional: float = 10_000.0
    by_probability: bool = True
    hedge: str = "dollar"       # "dollar" or "beta"

    def __post_init__(self) -> None:
        if self.hedge not in ("dollar", "beta"):
            raise ValueError(f"hedge must be 'dollar' or 'beta', got {self.hedge!r}")
        if self.entry_z < 0 or self.stop_z < 0 or self.hold_days < 0 or self.notional <= 0:
            raise ValueError(f"bad rule parameters {self}: entry_z, stop_z, hold_days >= 0 and notional > 0")
        if self.stop_z and self.stop_z <= self.entry_z:
            raise ValueError(f"stop_z ({self.stop_z}) must exceed entry_z ({self.entry_z}), or be 0 (no stop)")
        if not (self.hold_days or self.stop_z or self.exit_on_reversion):
            raise ValueError("a position needs an exit: set hold_days, stop_z or exit_on_reversion")


def entry_direction(z: float, probability: float | None, probability_threshold: float, entry_z: float,
                    stop_z: float = 0.0) -> int:
    """+1 (long the spread), -1 (short it) or 0. ``probability=None`` is the z-score rule without ML. A spread
    already beyond the divergence stop (``stop_z`` > 0) is not entered: the stop would close it at once."""
    if not math.isfinite(z) or abs(z) <= entry_z or (stop_z and abs(z) >= stop_z):
        return 0
    if probability is not None and not (probability > probability_threshold):
        return 0
    return -1 if z > 0 else 1


def leg_quantities(direction: int, notional: float, price_a: float, price_b: float, hedge_ratio: float = 1.0
                   ) -> tuple[int, int]:
    """Whole shares of A and B for a ``direction`` position of ``notional`` dollars of A."""
    if not (price_a > 0 and price_b > 0):
        raise ValueError(f"leg prices must be positive, got {price_a}, {price_b}")
    qa = math.trunc(notional / price_a)
    qb = math.trunc(notional * hedge_ratio / price_b)
    return direction * qa, -direction * qb


@dataclass(frozen=True)
class Action:
    kind: str          # "enter" or "exit"
    direction: int     # of the position entered or exited
    reason: str        # "signal", "hold", "stop", "reversion"


class PairTrader:
    """One pair's position state. Call :meth:`on_close` once per session, after its close."""

    def __init__(self, rules: RuleParameters) -> None:
        self.rules = rules
        self.direction = 0
        self.sessions = 0   # sessions held since the entry fill

    def on_close(self, z: float, probability: float | None, probability_threshold: float = 0.5
                 ) -> Action | None:
        """The order to place for the next open, if any; the state assumes it fills."""
        r = self.rules
        if self.direction:
            self.sessions += 1
            reason = None
            if r.stop_z and math.isfinite(z) and self.direction * z < -r.stop_z:
                reason = "stop"
            elif r.exit_on_reversion and math.isfinite(z) and self.direction * z >= 0:
                reason = "reversion"
            elif r.hold_days and self.sessions >= r.hold_days:
                reason = "hold"
            if reason is None:
                return None
            action = Action("exit", self.direction, reason)
            self.direction, self.sessions = 0, 0
            return action
        direction = entry_direction(z, probability, probability_threshold, r.entry_z, r.stop_z)
        if not direction:
            return None
        # the entry fills at the next open; the first close after it ends session 1
        self.direction, self.sessions = direction, 0
        return Action("enter", direction, "signal")
