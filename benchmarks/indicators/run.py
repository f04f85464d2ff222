"""Indicator hot path: microseconds per bar for LEAN's indicators as qclocal's engine updates them.

    .venv/bin/python benchmarks/indicators/run.py            # 5 rounds x 200,000 bars, medians
    .venv/bin/python benchmarks/indicators/run.py --bars 50000 --rounds 3

Each case feeds the same daily TradeBars (a seeded random walk) to fresh indicators, the way the engine does
after each bar (``Engine._update_indicators``), and reports the median over rounds of the time per bar. The cases
run interleaved within each round, so a change in machine load hits them alike; the 1-minute load average is
printed beside the figures. The floor is a slotted running sum per SMA with a deque: the least Python can do
per bar, with none of LEAN's bookkeeping (samples, current point, window, forward-only check, events).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import deque
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qclocal.engine.data_types import TradeBar  # noqa: E402
from qclocal.engine.symbols import Symbol  # noqa: E402
from qclocal.indicators import (  # noqa: E402
    AverageTrueRange,
    BollingerBands,
    ExponentialMovingAverage,
    RelativeStrengthIndex,
    RollingWindow,
    SimpleMovingAverage,
)


class RunningSum:
    """The floor: a running-sum SMA with nothing else."""

    __slots__ = ("period", "values", "total", "value")

    def __init__(self, period: int) -> None:
        self.period, self.values, self.total, self.value = period, deque(), 0.0, 0.0

    def update(self, x: float) -> None:
        values = self.values
        values.append(x)
        self.total += x
        if len(values) > self.period:
            self.total -= values.popleft()
        self.value = self.total / len(values)


def make_bars(count: int) -> list[TradeBar]:
    rng = random.Random(7)
    symbol = Symbol("SPY")
    price, start, bars = 100.0, datetime(2000, 1, 3, 9, 30), []
    for i in range(count):
        price *= 1.0 + rng.gauss(0.0003, 0.012)
        t = start + timedelta(days=i)
        bars.append(TradeBar(t, symbol, price, price * 1.01, price * 0.99, price, 1e6, end_time=t.replace(hour=16)))
    return bars


def engine_case(*factories):
    """Indicators registered on one symbol, updated as the engine does with a feed bar (no selector, same
    resolution: ``Engine._update_indicators`` calls ``_update_data``)."""
    def run(bars: list[TradeBar]) -> None:
        indicators = [factory() for factory in factories]
        for bar in bars:
            for indicator in indicators:
                indicator._update_data(bar)
    return run


def public_update(bars: list[TradeBar]) -> None:
    fast, slow = SimpleMovingAverage(10), SimpleMovingAverage(50)
    for bar in bars:
        fast.update(bar)
        slow.update(bar)


def floor(bars: list[TradeBar]) -> None:
    fast, slow = RunningSum(10), RunningSum(50)
    for bar in bars:
        fast.update(bar.close)
        slow.update(bar.close)


def rolling_window(bars: list[TradeBar]) -> None:
    window = RollingWindow[TradeBar](50)
    for bar in bars:
        window.add(bar)


CASES = {
    "SMA(10)+SMA(50), engine path": engine_case(lambda: SimpleMovingAverage(10), lambda: SimpleMovingAverage(50)),
    "SMA(10)+SMA(50), indicator.update(bar)": public_update,
    "floor: two slotted running sums": floor,
    "EMA(20), engine path": engine_case(lambda: ExponentialMovingAverage(20)),
    "RSI(14), engine path": engine_case(lambda: RelativeStrengthIndex(14)),
    "BB(20, 2), engine path": engine_case(lambda: BollingerBands(20, 2)),
    "ATR(14), engine path": engine_case(lambda: AverageTrueRange(14)),
    "RollingWindow[TradeBar](50).add": rolling_window,
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bars", type=int, default=200_000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    bars = make_bars(args.bars)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    load_before = os.getloadavg()[0]
    for _ in range(args.rounds):
        for name, case in CASES.items():
            started = time.process_time()
            case(bars)
            times[name].append((time.process_time() - started) / args.bars * 1e6)
    load_after = os.getloadavg()[0]
    print(f"{args.bars:,} bars x {args.rounds} rounds, median CPU microseconds per bar; "
          f"1-min load {load_before:.1f} before, {load_after:.1f} after")
    floor_us = statistics.median(times["floor: two slotted running sums"])
    for name, values in times.items():
        us = statistics.median(values)
        print(f"  {name:<42} {us:6.2f} us   ({us / floor_us:4.1f}x the floor)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
