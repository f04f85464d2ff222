"""Tests for qclocal.indicators: LEAN's formulas, readiness, reset, wiring and the Python-facing API.

Values are checked three ways: against independent pandas/numpy formulas written here, against hand-computed
numbers, and against facts taken from LEAN's own indicator test data (QuantConnect/Lean Tests/TestData/spy_*.csv:
inputs and LEAN's expected outputs, copied as numbers, so a formula drift fails here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from qclocal.indicators import (
    AverageTrueRange,
    BollingerBands,
    CompositeIndicator,
    ConstantIndicator,
    Delay,
    ExponentialMovingAverage,
    Identity,
    IndicatorDataPoint,
    IndicatorExtensions,
    LogReturn,
    Maximum,
    Minimum,
    Momentum,
    MomentumPercent,
    MovingAverageConvergenceDivergence,
    MovingAverageType,
    ParabolicStopAndReverse,
    ParabolicStopAndReverseExtended,
    RateOfChange,
    RateOfChangePercent,
    RelativeStrengthIndex,
    RollingWindow,
    SimpleMovingAverage,
    StandardDeviation,
    Sum,
    TrueRange,
    Variance,
    WilderMovingAverage,
)

T0 = datetime(2020, 1, 1)


@dataclass
class Bar:
    time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0
    symbol: Any = None
    end_time: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.end_time = self.time + timedelta(days=1)


def day(i: int) -> datetime:
    return T0 + timedelta(days=i)


def random_closes(n: int = 120, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))


def random_bars(n: int = 120, seed: int = 11) -> list[Bar]:
    rng = np.random.default_rng(seed)
    closes = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    bars = []
    previous = closes[0]
    for i, close in enumerate(closes):
        open_ = previous * (1 + rng.normal(0, 0.005))
        high = max(open_, close) * (1 + abs(rng.normal(0, 0.01)))
        low = min(open_, close) * (1 - abs(rng.normal(0, 0.01)))
        bars.append(Bar(day(i), float(open_), float(high), float(low), float(close)))
        previous = close
    return bars


def feed(indicator: Any, values: Any, attr: str | None = None) -> list[float]:
    """Update with (time, value) pairs; return the chosen (sub-)indicator's value after each update."""
    out = []
    for i, value in enumerate(values):
        indicator.update(day(i), float(value))
        target = getattr(indicator, attr) if attr else indicator
        out.append(target.current.value)
    return out


def feed_bars(indicator: Any, bars: list[Bar]) -> list[float]:
    out = []
    for bar in bars:
        indicator.update(bar)
        out.append(indicator.current.value)
    return out


def seeded_ewm(x: pd.Series, period: int, alpha: float) -> pd.Series:
    """LEAN-style exponential smoothing: NaN before `period` inputs, the SMA of the first `period` at
    `period`, then recursive smoothing (pandas ewm with adjust=False seeded by that SMA)."""
    seeded = pd.concat([pd.Series([x.iloc[:period].mean()]), x.iloc[period:]], ignore_index=True)
    smoothed = seeded.ewm(alpha=alpha, adjust=False).mean()
    return pd.concat([pd.Series([np.nan] * (period - 1)), smoothed], ignore_index=True)


# spy_with_macd.txt (monthly closes 1988-02 .. 2003-04)
MACD_CLOSES = (
    26.69, 25.8, 26.05, 26.13, 27.26, 27.11, 26.07, 27.1, 27.81, 27.28, 27.68, 29.65, 28.79, 29.39,
    30.86, 31.95, 31.69, 34.49, 35.03, 34.8, 33.92, 34.49, 35.22, 32.8, 33.08, 33.88, 32.97, 36.0,
    35.68, 35.5, 32.15, 30.5, 30.3, 32.12, 32.91, 34.28, 36.59, 37.4, 37.41, 38.86, 36.99, 38.65, 39.41,
    38.66, 39.12, 37.4, 41.57, 40.74, 41.13, 40.24, 41.36, 41.4, 40.68, 42.28, 41.27, 41.64, 41.73,
    42.99, 43.43, 43.94, 44.41, 45.19, 44.03, 45.22, 45.06, 44.84, 46.56, 45.94, 46.84, 46.34, 46.59,
    48.22, 46.81, 44.59, 45.09, 45.81, 44.47, 45.91, 47.66, 46.17, 47.48, 45.59, 45.56, 47.09, 49.02,
    50.11, 51.59, 53.64, 54.41, 56.16, 56.41, 58.48, 58.31, 60.91, 61.48, 63.67, 63.88, 64.69, 65.39,
    66.88, 67.11, 64.09, 65.33, 68.62, 70.84, 76.02, 73.84, 78.41, 79.16, 75.38, 80.09, 85.16, 88.31,
    95.31, 90.38, 94.38, 92.06, 95.62, 97.06, 98.31, 105.12, 109.94, 111.34, 109.03, 113.31, 111.78,
    96.0, 101.75, 110.0, 116.12, 123.31, 127.66, 123.56, 128.38, 133.25, 130.2, 137.0, 132.75, 132.06,
    128.75, 137.0, 139.28, 146.88, 139.56, 137.44, 150.38, 145.09, 142.81, 145.28, 143.0, 152.34,
    143.62, 142.95, 132.28, 131.19, 137.02, 123.95, 116.69, 126.66, 125.95, 122.6, 121.35, 114.15,
    104.44, 105.8, 114.05, 114.3, 113.18, 111.15, 114.52, 107.86, 107.22, 98.96, 91.16, 91.78, 81.79,
    88.52, 93.98, 88.23, 86.06, 84.9, 84.74, 91.91, 96.95,
)
MACD_EXPECTED = {
    180: (-9.94615, -8.406431, -1.539718),
    181: (-10.07201, -8.739547, -1.3324610000000001),
    182: (-10.0686, -9.005357, -1.063242),
    183: (-9.379219, -9.08013, -0.2990895),
    184: (-8.330171, -8.930138000000001, 0.5999671),
}

# ---------------------------------------------------------------------------------------------------------
# Facts from LEAN's indicator test data (Tests/TestData in QuantConnect/Lean): inputs and LEAN's outputs.
# ---------------------------------------------------------------------------------------------------------

# spy_ema.csv: closes 1..17, EMA14 from row 14
EMA_CLOSES = (
    43.938, 44.40625, 45.1875, 44.03125, 45.21875, 45.0625, 44.84375, 46.5625, 45.9375, 46.84375, 46.34375,
    46.59375, 48.21875, 46.8125, 44.59375, 45.09375, 45.8125,
)
EMA14_EXPECTED = {14: 45.71432142857143, 15: 45.56491190476191, 16: 45.50209031746032, 17: 45.54347827513228}

# spy_with_indicators.txt: closes 1..18, RSI(14) with Wilder and with simple averages
RSI_CLOSES = (
    13390.51, 13471.22, 13488.43, 13507.32, 13534.89, 13511.23, 13596.02, 13649.7, 13712.21, 13779.33,
    13825.33, 13895.98, 13881.93, 13954.42, 13910.42, 13860.58, 14009.79, 13880.08,
)
RSI_WILDER_EXPECTED = {15: 88.04238, 16: 81.63051, 17: 85.12351, 18: 72.26000}
RSI_SIMPLE_EXPECTED = {16: 79.83788, 17: 83.23053, 18: 70.81807}

# spy_bollinger_bands.txt: closes 1..22; BB(20, 2): middle, upper, lower, band width, %B
BB_CLOSES = (
    151.16, 150.96, 151.8, 151.77, 152.02, 152.15, 152.29, 152.11, 153.25, 151.34, 150.42, 151.89, 149.0,
    150.02, 151.91, 151.61, 152.11, 152.92, 154.29, 154.5, 154.78, 155.44,
)
BB_EXPECTED = {
    20: (151.876, 154.3912, 149.3608, 3.3122, 1.0216),
    21: (152.057, 154.8462, 149.2679, 3.6686, 0.9881),
    22: (152.281, 155.3837, 149.1783, 4.0750, 1.0091),
}

# spy_atr_wilder.txt / spy_atr.txt: OHLC rows 1..16; ATR(14) Wilder and Simple
ATR_BARS = (
    (146.77, 147.28, 146.61, 147.05), (147.7, 148.42, 147.43, 148.0), (147.97, 148.49, 147.43, 148.33),
    (148.33, 149.13, 147.98, 149.13), (149.13, 149.5, 148.86, 149.37), (149.15, 150.14, 149.01, 149.41),
    (149.88, 150.25, 149.37, 150.25), (150.29, 150.33, 149.51, 150.07), (149.77, 150.85, 149.67, 150.66),
    (150.64, 150.94, 149.93, 150.07), (149.89, 150.38, 149.6, 149.7), (150.65, 151.42, 150.39, 151.24),
    (150.32, 150.58, 149.43, 149.54), (150.35, 151.48, 150.29, 151.05), (150.52, 151.26, 150.41, 151.16),
    (151.21, 151.35, 149.86, 150.96),
)
ATR_WILDER_EXPECTED = {14: 1.15429, 15: 1.13255, 16: 1.15808}
ATR_SIMPLE_EXPECTED = {15: 1.167147, 16: 1.175719}

# spy_var.txt: closes 1..12; population variance over 10 (LEAN checks STD(10) against its square root)
VAR_CLOSES = (151.89, 149.0, 150.02, 151.91, 151.61, 152.11, 152.92, 154.29, 154.5, 154.78, 155.44, 156.03)
VAR10_EXPECTED = {10: 3.22556099999929, 11: 4.06655600000158, 12: 3.37128900000243}

# spy_sarext.txt: (high, low, close) rows 1..14 and the PSAR(0.02, 0.02, 0.2) column (two reversals)
PSAR_BARS = (
    (97.53, 96.53, 97.36), (98.44, 96.78, 97.75), (97.28, 96.19, 96.63), (96.5, 95.22, 96.47),
    (96.31, 95.5, 95.78), (95.5, 91.91, 92.47), (94.19, 90.91, 94.06), (95.63, 94.22, 95.22),
    (95.97, 94.72, 95.81), (95.75, 94.81, 94.94), (96.69, 95.66, 96.23), (98.0, 96.5, 98.0),
    (97.69, 96.16, 97.16), (96.88, 95.88, 96.3),
)
PSAR_EXPECTED = {
    2: 96.53, 3: 98.44, 4: 98.44, 5: 98.3112, 6: 98.187552, 7: 97.81089888, 8: 97.2588269696,
    9: 96.75092081203199, 10: 96.28364714706943, 11: 90.91, 12: 91.0256, 13: 91.304576, 14: 91.57239296,
}
# the same rows through SAREXT with LEAN's test parameters (column SAREXT_PARAM4; negative = short)
SAREXT_PARAM4 = (100.0, 0.02, 0.03, 0.02, 0.4, 0.02, 0.01, 0.3)
SAREXT_PARAM4_EXPECTED = {1: 100.0, 2: -100.4088, 6: -99.43590246408, 11: 89.0918, 14: 89.7612575476}

# spy_logr14.txt: closes 1..16, LOGR(14)
LOGR_CLOSES = (
    163.65, 164.39, 165.75, 165.96, 166.04, 167.634, 168.87, 169.4, 168.95, 169.33, 170.31, 171.07, 173.051,
    172.76, 170.72, 169.93,
)
LOGR14_EXPECTED = {15: 0.04229483, 16: 0.03314489}

# spy_with_rocp50.txt: closes 1..53, ROCP(50) (= MOMP(50) = 100 * ROC(50))
ROC_CLOSES = (
    155.83, 154.97, 154.61, 155.69, 154.36, 155.6, 154.95, 156.19, 156.19, 156.67, 156.05, 156.82, 155.23,
    155.86, 155.16, 156.21, 156.75, 158.67, 159.19, 158.8, 155.12, 157.41, 155.11, 154.14, 155.48, 156.17,
    157.78, 157.88, 158.52, 158.24, 159.3, 159.68, 158.28, 159.75, 161.37, 161.78, 162.6, 163.34, 162.88,
    163.41, 163.54, 165.23, 166.12, 165.34, 166.94, 166.93, 167.17, 165.93, 165.45, 165.31, 166.3, 165.22,
    165.83,
)
ROCP50_EXPECTED = {51: 6.718861, 52: 6.614183, 53: 7.25697}

# spy_max.txt / spy_min.txt: closes 1..8, MAX(5), MIN(5)
EXTREME_CLOSES = (151.89, 149.0, 150.02, 151.91, 151.61, 152.11, 152.92, 154.29)
MAX5_EXPECTED = {5: 151.91, 6: 152.11, 7: 152.92, 8: 154.29}
MIN5_EXPECTED = {5: 149.0, 6: 149.0, 7: 150.02, 8: 151.61}


def _check_facts(values: list[float], expected: dict[int, float], tol: float) -> None:
    for row, want in expected.items():
        assert values[row - 1] == pytest.approx(want, abs=tol), f"row {row}"


def _ohlc_bars(rows: tuple[tuple[float, ...], ...]) -> list[Bar]:
    bars = []
    for i, row in enumerate(rows):
        if len(row) == 4:
            bars.append(Bar(day(i), *row))
        else:
            high, low, close = row
            bars.append(Bar(day(i), close, high, low, close))
    return bars


class TestLeanFacts:
    def test_ema14(self) -> None:
        _check_facts(feed(ExponentialMovingAverage(14), EMA_CLOSES), EMA14_EXPECTED, 1e-9)

    def test_rsi14_wilder_and_simple(self) -> None:
        _check_facts(feed(RelativeStrengthIndex(14), RSI_CLOSES), RSI_WILDER_EXPECTED, 1e-4)
        simple = RelativeStrengthIndex(14, MovingAverageType.SIMPLE)
        _check_facts(feed(simple, RSI_CLOSES), RSI_SIMPLE_EXPECTED, 1e-3)

    def test_bollinger_bands_20_2(self) -> None:
        bb = BollingerBands(20, 2)
        for i, close in enumerate(BB_CLOSES, start=1):
            bb.update(day(i), close)
            if i in BB_EXPECTED:
                middle, upper, lower, width, percent_b = BB_EXPECTED[i]
                assert bb.middle_band.current.value == pytest.approx(middle, abs=1e-9)
                assert bb.upper_band.current.value == pytest.approx(upper, abs=1e-4)
                assert bb.lower_band.current.value == pytest.approx(lower, abs=1e-4)
                assert bb.band_width.current.value == pytest.approx(width, abs=2e-4)
                assert bb.percent_b.current.value == pytest.approx(percent_b, abs=1e-4)
                assert bb.current.value == close

    def test_macd_12_26_9(self) -> None:
        macd = MovingAverageConvergenceDivergence(12, 26, 9)
        for i, close in enumerate(MACD_CLOSES, start=1):
            macd.update(day(i), close)
            if i in MACD_EXPECTED:
                value, signal, histogram = MACD_EXPECTED[i]
                assert macd.current.value == pytest.approx(value, abs=1e-4)
                assert macd.signal.current.value == pytest.approx(signal, abs=1e-4)
                assert macd.histogram.current.value == pytest.approx(histogram, abs=1e-4)

    def test_atr14_wilder_class_default_and_simple(self) -> None:
        bars = _ohlc_bars(ATR_BARS)
        _check_facts(feed_bars(AverageTrueRange(14), bars), ATR_WILDER_EXPECTED, 1e-4)
        _check_facts(feed_bars(AverageTrueRange(14, MovingAverageType.SIMPLE), bars), ATR_SIMPLE_EXPECTED, 1e-4)

    def test_variance_and_std_10_population(self) -> None:
        _check_facts(feed(Variance(10), VAR_CLOSES), VAR10_EXPECTED, 1e-8)
        std_expected = {row: math.sqrt(v) for row, v in VAR10_EXPECTED.items()}
        _check_facts(feed(StandardDeviation(10), VAR_CLOSES), std_expected, 1e-8)

    def test_psar_and_sarext(self) -> None:
        bars = _ohlc_bars(PSAR_BARS)
        values = feed_bars(ParabolicStopAndReverse(), bars)
        assert values[0] == PSAR_BARS[0][2]  # the first bar's close
        _check_facts(values, PSAR_EXPECTED, 1e-9)
        ext = feed_bars(ParabolicStopAndReverseExtended(), bars)
        # SAREXT with the defaults is the signed PSAR: short at rows 3..10, long again from row 11
        assert [math.copysign(1, v) for v in ext[2:10]] == [-1.0] * 8
        assert [abs(v) for v in ext[1:]] == pytest.approx(values[1:], abs=1e-12)
        param4 = feed_bars(ParabolicStopAndReverseExtended(*SAREXT_PARAM4), bars)
        _check_facts(param4, SAREXT_PARAM4_EXPECTED, 1e-9)

    def test_psar_hand_computed(self) -> None:
        # long from bar 2 (SAR = bar 1 low), a new extreme at bar 3 (af 0.04), reversal to short at bar 4
        bars = _ohlc_bars(((10, 9, 9.5), (11, 9.5, 10.8), (12, 10.5, 11.8), (11.5, 9.1, 9.3), (10, 8.5, 9),
                           (9.5, 8, 8.2)))
        assert feed_bars(ParabolicStopAndReverse(), bars) == pytest.approx([9.5, 9, 9.04, 12, 12, 11.86])
        signed = feed_bars(ParabolicStopAndReverseExtended(), bars)
        assert signed == pytest.approx([9.5, 9, 9.04, -12, -12, -11.86])

    def test_logr14(self) -> None:
        _check_facts(feed(LogReturn(14), LOGR_CLOSES), LOGR14_EXPECTED, 1e-6)

    def test_rocp50_momp50_roc50(self) -> None:
        _check_facts(feed(RateOfChangePercent(50), ROC_CLOSES), ROCP50_EXPECTED, 1e-4)
        _check_facts(feed(MomentumPercent(50), ROC_CLOSES), ROCP50_EXPECTED, 1e-4)
        roc = [100 * v for v in feed(RateOfChange(50), ROC_CLOSES)]
        _check_facts(roc, ROCP50_EXPECTED, 1e-4)

    def test_max5_min5(self) -> None:
        _check_facts(feed(Maximum(5), EXTREME_CLOSES), MAX5_EXPECTED, 0)
        _check_facts(feed(Minimum(5), EXTREME_CLOSES), MIN5_EXPECTED, 0)


# ---------------------------------------------------------------------------------------------------------
# Independent formulas (pandas/numpy) on random data, including the values while warming up.
# ---------------------------------------------------------------------------------------------------------


class TestFormulas:
    x = pd.Series(random_closes())

    def test_sma_is_the_running_then_rolling_mean(self) -> None:
        got = feed(SimpleMovingAverage(10), self.x)
        np.testing.assert_allclose(got, self.x.rolling(10, min_periods=1).mean(), rtol=0, atol=1e-10)

    def test_sum(self) -> None:
        got = feed(Sum(7), self.x)
        np.testing.assert_allclose(got, self.x.rolling(7, min_periods=1).sum(), rtol=0, atol=1e-9)

    def test_ema_zero_until_ready_then_sma_seeded(self) -> None:
        got = np.array(feed(ExponentialMovingAverage(10), self.x))
        assert (got[:9] == 0).all()
        expected = seeded_ewm(self.x, 10, 2 / 11)
        np.testing.assert_allclose(got[9:], expected[9:], rtol=0, atol=1e-10)
        assert got[9] == pytest.approx(self.x[:10].mean(), abs=1e-12)

    def test_ema_custom_smoothing_factor(self) -> None:
        ema = ExponentialMovingAverage(10, 0.5)
        assert ema.name == "EMA(10,0.5)"
        got = np.array(feed(ema, self.x))
        np.testing.assert_allclose(got[9:], seeded_ewm(self.x, 10, 0.5)[9:], rtol=0, atol=1e-10)

    def test_wilder_running_mean_then_wilder_smoothing(self) -> None:
        got = np.array(feed(WilderMovingAverage(8), self.x))
        np.testing.assert_allclose(got[:8], self.x[:8].expanding().mean(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(got[7:], seeded_ewm(self.x, 8, 1 / 8)[7:], rtol=0, atol=1e-10)

    def test_rsi_wilder(self) -> None:
        got = np.array(feed(RelativeStrengthIndex(14), self.x))
        delta = self.x.diff().iloc[1:].reset_index(drop=True)
        gain = seeded_ewm(delta.clip(lower=0), 14, 1 / 14)
        loss = seeded_ewm((-delta).clip(lower=0), 14, 1 / 14)
        expected = 100 - 100 / (1 + gain / loss)
        np.testing.assert_allclose(got[14:], expected[13:], rtol=0, atol=1e-9)
        assert got[0] == 100.0  # no losses seen yet

    def test_rsi_simple(self) -> None:
        got = np.array(feed(RelativeStrengthIndex(14, MovingAverageType.SIMPLE), self.x))
        delta = self.x.diff()
        gain = delta.clip(lower=0).rolling(14).mean()
        loss = (-delta).clip(lower=0).rolling(14).mean()
        np.testing.assert_allclose(got[14:], (100 - 100 / (1 + gain / loss))[14:], rtol=0, atol=1e-9)

    def test_rsi_is_100_without_losses(self) -> None:
        assert feed(RelativeStrengthIndex(3), [1, 2, 3, 4, 5])[-1] == 100.0

    def test_standard_deviation_is_population(self) -> None:
        got = np.array(feed(StandardDeviation(10), self.x))
        expected = self.x.rolling(10, min_periods=1).std(ddof=0)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
        assert got[-1] != pytest.approx(self.x[-10:].std(ddof=1), abs=1e-6)

    def test_standard_deviation_hand_values(self) -> None:
        # population std of [1], [1, 3], [1, 3, 1], [3, 1, 4]
        assert feed(StandardDeviation(3), [1, 3, 1, 4]) == pytest.approx(
            [0.0, 1.0, 0.9428090415820634, 1.247219128924647]
        )

    def test_bollinger_bands(self) -> None:
        bb = BollingerBands(20, 2.5)
        mid, up, low, width, pct = [], [], [], [], []
        for i, value in enumerate(self.x):
            bb.update(day(i), value)
            for out, sub in zip((mid, up, low, width, pct), (bb.middle_band, bb.upper_band, bb.lower_band,
                                                             bb.band_width, bb.percent_b), strict=True):
                out.append(sub.current.value)
        m = self.x.rolling(20).mean()
        s = self.x.rolling(20).std(ddof=0)
        u, lo = m + 2.5 * s, m - 2.5 * s
        sl = slice(19, None)
        np.testing.assert_allclose(np.array(mid)[sl], m[sl], atol=1e-9)
        np.testing.assert_allclose(np.array(up)[sl], u[sl], atol=1e-9)
        np.testing.assert_allclose(np.array(low)[sl], lo[sl], atol=1e-9)
        np.testing.assert_allclose(np.array(width)[sl], ((u - lo) / m * 100)[sl], atol=1e-9)
        np.testing.assert_allclose(np.array(pct)[sl], ((self.x - lo) / (u - lo))[sl], atol=1e-9)
        assert bb.standard_deviation.current.value == pytest.approx(s.iloc[-1])
        assert bb.price.current.value == self.x.iloc[-1]

    def test_bollinger_bands_exponential_middle(self) -> None:
        bb = BollingerBands(10, 2, MovingAverageType.EXPONENTIAL)
        got = feed(bb, self.x, "middle_band")
        np.testing.assert_allclose(got[9:], seeded_ewm(self.x, 10, 2 / 11)[9:], atol=1e-10)

    def test_macd(self) -> None:
        macd = MovingAverageConvergenceDivergence(5, 12, 4)
        got, signal, hist = [], [], []
        for i, value in enumerate(self.x):
            macd.update(day(i), value)
            got.append(macd.current.value)
            signal.append(macd.signal.current.value)
            hist.append(macd.histogram.current.value)
        fast = seeded_ewm(self.x, 5, 2 / 6)
        slow = seeded_ewm(self.x, 12, 2 / 13)
        line = fast - slow
        np.testing.assert_allclose(got[11:], line[11:], atol=1e-10)
        # before the slow EMA is ready, MACD is fast - 0 (LEAN's EMA reads 0 while warming up)
        np.testing.assert_allclose(got[4:11], fast[4:11], atol=1e-10)
        sig = seeded_ewm(line.iloc[11:].reset_index(drop=True), 4, 2 / 5)
        np.testing.assert_allclose(signal[14:], sig[3:], atol=1e-10)
        np.testing.assert_allclose(hist[14:], (line.iloc[14:].to_numpy() - sig[3:].to_numpy()), atol=1e-10)

    def test_true_range_and_atr(self) -> None:
        bars = random_bars()
        frame = pd.DataFrame([(b.high, b.low, b.close) for b in bars], columns=["h", "l", "c"])
        prev = frame.c.shift(1)
        tr = pd.concat([frame.h - frame.l, (frame.h - prev).abs(), (frame.l - prev).abs()], axis=1).max(axis=1)
        tr.iloc[0] = frame.h.iloc[0] - frame.l.iloc[0]
        np.testing.assert_allclose(feed_bars(TrueRange(), bars), tr, atol=1e-12)
        atr = AverageTrueRange(14)
        got = feed_bars(atr, bars)
        np.testing.assert_allclose(got[13:], seeded_ewm(tr, 14, 1 / 14)[13:], atol=1e-10)
        assert atr.true_range.current.value == pytest.approx(tr.iloc[-1])
        got_simple = feed_bars(AverageTrueRange(14, MovingAverageType.SIMPLE), bars)
        np.testing.assert_allclose(got_simple[13:], tr.rolling(14).mean()[13:], atol=1e-10)
        got_ema = feed_bars(AverageTrueRange(14, MovingAverageType.EXPONENTIAL), bars)
        np.testing.assert_allclose(got_ema[13:], seeded_ewm(tr, 14, 2 / 15)[13:], atol=1e-10)

    def test_rate_of_change_momentum_logreturn(self) -> None:
        p = 5
        past = self.x.shift(p)
        roc = np.array(feed(RateOfChange(p), self.x))
        np.testing.assert_allclose(roc[p:], (self.x / past - 1)[p:], atol=1e-12)
        # while warming up, LEAN compares with the oldest input seen
        np.testing.assert_allclose(roc[:p], self.x[:p] / self.x[0] - 1, atol=1e-12)
        np.testing.assert_allclose(feed(RateOfChangePercent(p), self.x)[p:], (100 * (self.x / past - 1))[p:])
        np.testing.assert_allclose(feed(MomentumPercent(p), self.x)[p:], (100 * (self.x / past - 1))[p:])
        np.testing.assert_allclose(feed(Momentum(p), self.x)[p:], (self.x - past)[p:], atol=1e-12)
        logr = np.array(feed(LogReturn(p), self.x))
        np.testing.assert_allclose(logr[p:], np.log(self.x / past)[p:], atol=1e-12)
        # LEAN quirk: the first ready LogReturn (sample p) spans p - 1 steps
        assert logr[p - 1] == pytest.approx(math.log(self.x[p - 1] / self.x[0]))

    def test_zero_denominators_give_zero(self) -> None:
        assert feed(RateOfChange(1), [0, 5])[-1] == 0.0
        assert feed(LogReturn(1), [0, 5])[-1] == 0.0
        assert feed(LogReturn(1), [5, 0])[-1] == 0.0
        with pytest.raises(ValueError, match="not a real number"):
            feed(LogReturn(1), [5, -1])

    def test_maximum_minimum_delay_identity(self) -> None:
        np.testing.assert_array_equal(feed(Maximum(7), self.x), self.x.rolling(7, min_periods=1).max())
        np.testing.assert_array_equal(feed(Minimum(7), self.x), self.x.rolling(7, min_periods=1).min())
        delay = np.array(feed(Delay(3), self.x))
        np.testing.assert_array_equal(delay[3:], self.x.shift(3)[3:])
        assert (delay[:3] == self.x[0]).all()
        np.testing.assert_array_equal(feed(Identity("x"), self.x), self.x)

    def test_periods_since_extreme(self) -> None:
        # LEAN's MaximumTests/MinimumTests sequences: (input, value, periods since the extreme)
        cases = [
            (Maximum(3), "periods_since_maximum", [(1, 1, 0), (-1, 1, 1), (0, 1, 2), (-2, 0, 1), (-2, 0, 2)]),
            (Minimum(3), "periods_since_minimum",
             [(1, 1, 0), (2, 1, 1), (-1, -1, 0), (2, -1, 1), (0, -1, 2), (3, 0, 1), (2, 0, 2)]),
        ]
        for indicator, attr, steps in cases:
            for i, (value, expected, since) in enumerate(steps):
                indicator.update(day(i), value)
                assert (indicator.current.value, getattr(indicator, attr)) == (expected, since), (attr, i)
        # ties go to the most recent occurrence when the window is rescanned
        maximum = Maximum(3)
        feed(maximum, [5, 1, 1, 1])
        assert maximum.current.value == 1 and maximum.periods_since_maximum == 0

    def test_long_series_stays_exact(self) -> None:
        # running sums are periodically re-added: no drift after many updates
        rng = np.random.default_rng(3)
        x = pd.Series(1000 + rng.normal(0, 1, 6000).cumsum())
        sma, std = SimpleMovingAverage(20), StandardDeviation(20)
        for i, value in enumerate(x):
            sma.update(day(i), value)
            std.update(day(i), value)
        assert sma.current.value == pytest.approx(x[-20:].mean(), abs=1e-10)
        assert std.current.value == pytest.approx(x[-20:].std(ddof=0), abs=1e-9)


# ---------------------------------------------------------------------------------------------------------
# Readiness, warm-up and reset
# ---------------------------------------------------------------------------------------------------------

READINESS = [
    # (factory, sample at which it becomes ready, warm_up_period, takes bars)
    (lambda: SimpleMovingAverage(5), 5, 5, False),
    (lambda: Sum(5), 5, 5, False),
    (lambda: ExponentialMovingAverage(5), 5, 5, False),
    (lambda: WilderMovingAverage(5), 5, 5, False),
    (lambda: RelativeStrengthIndex(5), 6, 6, False),
    (lambda: RelativeStrengthIndex(5, MovingAverageType.SIMPLE), 6, 6, False),
    (lambda: BollingerBands(5, 2), 5, 5, False),
    (lambda: MovingAverageConvergenceDivergence(3, 5, 2), 6, 6, False),
    (lambda: StandardDeviation(5), 5, 5, False),
    (lambda: Variance(5), 5, 5, False),
    (lambda: LogReturn(5), 5, 5, False),
    (lambda: RateOfChange(5), 6, 6, False),
    (lambda: RateOfChangePercent(5), 6, 6, False),
    (lambda: MomentumPercent(5), 6, 6, False),
    (lambda: Momentum(5), 6, 6, False),
    (lambda: Maximum(5), 5, 5, False),
    (lambda: Minimum(5), 5, 5, False),
    (lambda: Delay(5), 6, 6, False),
    (lambda: Identity("id"), 1, 1, False),
    (lambda: AverageTrueRange(5), 5, 5, True),
    (lambda: AverageTrueRange(5, MovingAverageType.SIMPLE), 5, 5, True),
    (lambda: TrueRange(), 2, 2, True),
    (lambda: ParabolicStopAndReverse(), 2, 2, True),
]


def _drive(indicator: Any, takes_bars: bool, n: int, start: int = 0) -> list[bool]:
    bars = random_bars(n + start)
    closes = [b.close for b in bars]
    readiness = []
    for i in range(start, start + n):
        ready = indicator.update(bars[i]) if takes_bars else indicator.update(day(i), closes[i])
        assert ready == indicator.is_ready
        readiness.append(ready)
    return readiness


@pytest.mark.parametrize(("factory", "ready_at", "warm_up", "takes_bars"), READINESS)
def test_ready_at_exactly_the_right_sample(factory: Any, ready_at: int, warm_up: int, takes_bars: bool) -> None:
    indicator = factory()
    assert indicator.warm_up_period == warm_up
    assert not indicator.is_ready and indicator.samples == 0
    readiness = _drive(indicator, takes_bars, ready_at + 3)
    assert readiness == [k >= ready_at for k in range(1, ready_at + 4)]
    assert indicator.samples == ready_at + 3


@pytest.mark.parametrize(("factory", "ready_at", "warm_up", "takes_bars"), READINESS)
def test_reset_returns_to_the_initial_state(factory: Any, ready_at: int, warm_up: int, takes_bars: bool) -> None:
    bars = random_bars(40)
    fresh, used = factory(), factory()
    _drive(used, takes_bars, 25)
    used.reset()
    assert used.current.value == 0.0 and used.current.time == datetime.min
    assert used.samples == 0 and not used.is_ready
    for bar in bars:
        for ind in (fresh, used):
            ind.update(bar) if takes_bars else ind.update(bar.end_time, bar.close)
        assert used.current.value == fresh.current.value
        assert used.is_ready == fresh.is_ready


def test_reset_clears_sub_indicators() -> None:
    bb = BollingerBands(3, 2)
    macd = MovingAverageConvergenceDivergence(2, 3, 2)
    atr = AverageTrueRange(3)
    rsi = RelativeStrengthIndex(3)
    feed(bb, [1, 2, 4, 3, 5])
    feed(macd, [1, 2, 4, 3, 5, 6])
    feed(rsi, [1, 2, 4, 3, 5])
    feed_bars(atr, random_bars(6))
    for ind in (bb, macd, atr, rsi):
        ind.reset()
    subs = [bb.middle_band, bb.upper_band, bb.lower_band, bb.band_width, bb.percent_b, bb.standard_deviation,
            macd.fast, macd.slow, macd.signal, macd.histogram, atr.true_range, rsi.average_gain, rsi.average_loss]
    for sub in subs:
        assert sub.samples == 0 and not sub.is_ready and sub.current.value == 0.0, sub.name


def test_indicator_validation() -> None:
    with pytest.raises(ValueError, match="period must be at least 1"):
        SimpleMovingAverage(0)
    with pytest.raises(TypeError, match="period must be an integer"):
        SimpleMovingAverage(2.5)
    with pytest.raises(ValueError, match="fast_period"):
        MovingAverageConvergenceDivergence(26, 12, 9)
    with pytest.raises(TypeError, match="missing a required argument"):
        BollingerBands(20)


# ---------------------------------------------------------------------------------------------------------
# Sub-indicator wiring
# ---------------------------------------------------------------------------------------------------------


def test_macd_signal_fed_only_once_both_averages_are_ready() -> None:
    macd = MovingAverageConvergenceDivergence(2, 4, 3)
    feed(macd, [1, 2, 3])
    assert macd.fast.is_ready and not macd.slow.is_ready
    assert macd.signal.samples == 0 and macd.histogram.samples == 0
    macd.update(day(3), 4)  # slow ready at the 4th sample
    assert macd.slow.is_ready and macd.signal.samples == 1
    assert macd.histogram.samples == 0 and not macd.is_ready
    macd.update(day(4), 6)
    macd.update(day(5), 7)
    assert macd.signal.samples == 3 and macd.signal.is_ready and macd.histogram.samples == 1
    assert macd.is_ready
    assert macd.histogram.current.value == pytest.approx(macd.current.value - macd.signal.current.value)


def test_macd_names() -> None:
    macd = MovingAverageConvergenceDivergence(12, 26, 9)
    assert macd.name == "MACD(12,26,9)"
    assert (macd.fast.name, macd.slow.name, macd.signal.name, macd.histogram.name) == (
        "MACD(12,26,9)_Fast", "MACD(12,26,9)_Slow", "MACD(12,26,9)_Signal", "MACD(12,26,9)_Histogram")
    assert isinstance(macd.fast, ExponentialMovingAverage)
    assert isinstance(MovingAverageConvergenceDivergence(2, 3, 2, MovingAverageType.SIMPLE).signal,
                      SimpleMovingAverage)


def test_bollinger_bands_sub_indicators_update_together() -> None:
    bb = BollingerBands(2, 2)
    counts = {"lower": 0, "upper": 0}
    bb.lower_band.updated += lambda sender, point: counts.__setitem__("lower", counts["lower"] + 1)
    bb.upper_band.updated += lambda sender, point: counts.__setitem__("upper", counts["upper"] + 1)
    bb.update(day(0), 1)
    assert counts == {"lower": 1, "upper": 1} and not bb.is_ready
    bb.update(day(1), 3)
    assert bb.is_ready and all(s.is_ready for s in (bb.standard_deviation, bb.lower_band, bb.middle_band,
                                                    bb.upper_band, bb.band_width, bb.percent_b))
    assert bb.name == "BB(2,2)" and bb.lower_band.name == "BB(2,2)_LowerBand"
    assert (bb.middle_band.current.value, bb.upper_band.current.value, bb.lower_band.current.value) == (2, 4, 0)
    assert bb.band_width.current.value == 200.0
    assert bb.percent_b.current.value == 0.75
    assert bb.upper_band.current.time == day(1)


def test_bollinger_bands_skip_value_when_deviation_is_zero() -> None:
    bb = BollingerBands(2, 2)
    updates = []
    bb.updated += lambda sender, point: updates.append(point.value)
    feed(bb, [1, 3])
    bb.update(day(5), 5)
    bb.update(day(6), 5)  # std 0 once ready: no new BB value, percent_b not updated (0/0)
    assert updates == [1.0, 3.0, 5.0]
    assert bb.samples == 4 and bb.current.time == day(5)
    assert bb.percent_b.current.time == day(5)


def test_atr_smoother_gets_every_true_range() -> None:
    atr = AverageTrueRange(3)
    bars = [Bar(day(0), 10, 12, 9, 11), Bar(day(1), 11, 13, 10, 12), Bar(day(2), 12, 12.5, 8, 9)]
    values = feed_bars(atr, bars)
    # TR: 3 (first bar H-L), 3, max(4.5, 0.5, 4) = 4.5; Wilder seed = mean
    assert atr.true_range.current.value == 4.5
    assert values == pytest.approx([3.0, 3.0, 3.5])
    assert atr.true_range.name == atr.name == "ATR(3)"


# ---------------------------------------------------------------------------------------------------------
# Inputs, times, events, comparisons
# ---------------------------------------------------------------------------------------------------------


def test_update_accepts_pairs_points_and_bars() -> None:
    sma = SimpleMovingAverage(2)
    sma.update(day(0), 1)
    sma.update(IndicatorDataPoint(day(1), 3))
    bar = Bar(day(2), 0, 10, 0, 5, symbol="SPY")
    assert sma.update(bar) is True
    assert sma.current.value == 4.0
    assert sma.current.time == bar.end_time and sma.current.end_time == bar.end_time
    assert sma.current.symbol == "SPY"


def test_bar_indicators_reject_plain_values() -> None:
    for indicator in (AverageTrueRange(3), ParabolicStopAndReverse(), TrueRange()):
        with pytest.raises(TypeError, match="does not support update\\(time, value\\)"):
            indicator.update(day(0), 1.0)
        with pytest.raises(TypeError, match="needs a bar"):
            indicator.update(IndicatorDataPoint(day(0), 1.0))


def test_bad_values_are_rejected() -> None:
    sma = SimpleMovingAverage(2)
    with pytest.raises(TypeError, match="must be a number"):
        sma.update(day(0), "1.5")
    with pytest.raises(ValueError, match="finite"):
        sma.update(day(0), float("nan"))
    with pytest.raises(TypeError, match="takes"):
        sma.update(day(0), 1, 2)
    assert sma.samples == 0


def test_forward_only_and_same_object() -> None:
    sma = SimpleMovingAverage(3)
    sma.update(day(5), 10)
    assert sma.update(day(4), 20) is False  # earlier than the previous input: ignored
    assert sma.samples == 1 and sma.current.value == 10
    sma.update(day(5), 20)  # same time is accepted
    assert sma.samples == 2
    point = IndicatorDataPoint(day(6), 30)
    sma.update(point)
    sma.update(point)  # the very same object again is not counted
    assert sma.samples == 3 and sma.current.value == 20
    bar = Bar(day(7), 1, 1, 1, 1)
    sma.update(bar)
    sma.update(bar)  # a bar is converted each time, so LEAN counts it again
    assert sma.samples == 5


def test_forward_only_is_per_symbol() -> None:
    identity = Identity("i")
    identity.update(Bar(day(5), 1, 1, 1, 1, symbol="A"))
    identity.update(Bar(day(1), 2, 2, 2, 2, symbol="B"))
    assert identity.samples == 2 and identity.current.value == 2


def test_updated_event_subscribe_and_unsubscribe() -> None:
    sma = SimpleMovingAverage(2)
    seen: list[tuple[Any, float, datetime]] = []

    def handler(sender: Any, point: IndicatorDataPoint) -> None:
        seen.append((sender, point.value, point.time))

    sma.updated += handler
    sma.update(day(0), 2)
    sma.update(day(1), 4)
    assert seen == [(sma, 2.0, day(0)), (sma, 3.0, day(1))]
    sma.updated -= handler
    sma.update(day(2), 6)
    assert len(seen) == 2
    with pytest.raises(AttributeError, match="event"):
        sma.updated = None  # type: ignore[assignment]
    with pytest.raises(TypeError, match="callable"):
        sma.updated += 5  # type: ignore[arg-type]


def test_comparisons_and_conversions() -> None:
    fast, slow = SimpleMovingAverage(1), SimpleMovingAverage(1)
    fast.update(day(0), 2.5)
    slow.update(day(0), 1.0)
    assert fast > slow and slow < fast and fast >= slow and slow <= fast
    assert fast > 2 and fast < 3.0 and 2 < fast and 3 > fast and fast >= 2.5 and fast <= 2.5
    assert fast == 2.5 and 2.5 == fast and fast != 1
    assert fast != slow and fast == fast  # indicators compare by identity for ==, as in LEAN
    assert float(fast) == 2.5
    assert str(fast) == "2.5" and str(slow) == "1.0"
    assert fast != "2.5"
    with pytest.raises(TypeError):
        _ = fast < "x"  # type: ignore[operator]
    assert len({fast, slow}) == 2


def test_indicator_window_current_and_previous() -> None:
    sma = SimpleMovingAverage(1)
    assert sma.previous.value == 0 and sma.previous.time == datetime.min
    for i, value in enumerate([1, 2, 3]):
        sma.update(day(i), value)
    assert sma[0].value == 3 and sma[1].value == 2 and sma.previous.value == 2
    assert sma.window.size == 2 and [p.value for p in sma] == [3, 2]


# ---------------------------------------------------------------------------------------------------------
# IndicatorExtensions and composites
# ---------------------------------------------------------------------------------------------------------


def test_of_feeds_second_with_first_when_ready() -> None:
    source = SimpleMovingAverage(2)
    target = Identity("target")
    assert IndicatorExtensions.of(target, source) is target
    source.update(day(0), 1)
    assert target.samples == 0  # waits for the first to be ready
    source.update(day(1), 3)
    assert target.samples == 1 and target.current.value == 2.0 and target.current.time == day(1)
    eager = IndicatorExtensions.of(Identity("eager"), SimpleMovingAverage(2), False)
    assert eager.samples == 0


def test_sma_and_ema_of_an_indicator() -> None:
    rsi = RelativeStrengthIndex(3)
    sma = IndicatorExtensions.sma(rsi, 3)
    ema = IndicatorExtensions.ema(rsi, 3)
    assert sma.name == "SMA3_Of_RSI(3)" and ema.name == "EMA3_Of_RSI(3)"
    values = random_closes(30)
    rsi_values = []
    for i, value in enumerate(values):
        rsi.update(day(i), value)
        if rsi.is_ready:
            rsi_values.append(rsi.current.value)
    assert sma.samples == len(rsi_values)
    assert sma.current.value == pytest.approx(np.mean(rsi_values[-3:]))
    expected_ema = seeded_ewm(pd.Series(rsi_values), 3, 0.5).iloc[-1]
    assert ema.current.value == pytest.approx(expected_ema)
    assert IndicatorExtensions.EMA is IndicatorExtensions.ema


def test_composite_arithmetic_and_zero_division() -> None:
    a, b = Identity("a"), Identity("b")
    ratio = IndicatorExtensions.over(a, b)
    total = IndicatorExtensions.plus(a, 10)
    assert ratio.name == "COMPOSE(a,b)"
    a.update(day(0), 6)
    assert ratio.samples == 0 and total.current.value == 16  # constants count as always updated
    b.update(day(1), 3)
    assert ratio.current.value == 2 and ratio.current.time == day(1)
    a.update(day(2), 5)
    b.update(day(2), 0)  # division by zero: counted, but no new value
    assert ratio.samples == 2 and ratio.current.value == 2
    custom = CompositeIndicator("diff", a, b, lambda left, right: left.current.value - right.current.value)
    a.update(day(3), 9)
    b.update(day(3), 4)
    assert custom.current.value == 5 and custom.is_ready
    assert IndicatorExtensions.times(ConstantIndicator("c", 2), 3).current.value == 0  # nothing updated yet


# ---------------------------------------------------------------------------------------------------------
# MovingAverageType
# ---------------------------------------------------------------------------------------------------------


def test_moving_average_types() -> None:
    assert isinstance(RelativeStrengthIndex(3).average_gain, WilderMovingAverage)
    assert isinstance(RelativeStrengthIndex(3, MovingAverageType.EXPONENTIAL).average_gain,
                      ExponentialMovingAverage)
    assert MovingAverageType.Wilders is MovingAverageType.WILDERS
    assert AverageTrueRange(3)._smoother.name == "ATR(3)_Wilders"
    with pytest.raises(NotImplementedError, match="MovingAverageType.HULL"):
        BollingerBands(20, 2, MovingAverageType.HULL)
    with pytest.raises(NotImplementedError, match="MovingAverageType.DOUBLE_EXPONENTIAL"):
        RelativeStrengthIndex(14, moving_average_type=MovingAverageType.DOUBLE_EXPONENTIAL)


def test_named_constructors_and_keywords() -> None:
    assert SimpleMovingAverage("fast", 3).name == "fast"
    assert BollingerBands("bb", 20, 2).name == "bb"
    assert ParabolicStopAndReverse().name == "PSAR(0.02,0.02,0.2)"
    assert ParabolicStopAndReverse(af_max=0.3).name == "PSAR(0.02,0.02,0.3)"
    assert MovingAverageConvergenceDivergence(fast_period=3, slow_period=5, signal_period=2).warm_up_period == 6
    assert ExponentialMovingAverage(period=4, smoothing_factor=0.1).name == "EMA(4,0.1)"
    assert Identity().name == ""


# ---------------------------------------------------------------------------------------------------------
# RollingWindow
# ---------------------------------------------------------------------------------------------------------


class TestRollingWindow:
    def test_newest_first(self) -> None:
        window = RollingWindow[float](3)
        assert window.size == 3 and window.count == 0 and not window.is_ready
        for value in (1, 2, 3, 4):
            window.add(value)
        assert window[0] == 4.0 and window[2] == 2.0 and isinstance(window[0], float)
        assert list(window) == [4.0, 3.0, 2.0]
        assert window.count == 3 and window.samples == 4 and window.is_ready
        assert window.most_recently_removed == 1.0

    def test_no_item_removed_yet(self) -> None:
        window = RollingWindow(2)
        window.add("a")
        with pytest.raises(RuntimeError, match="No items have been removed yet"):
            _ = window.most_recently_removed

    def test_negative_and_out_of_range_indexes(self) -> None:
        window = RollingWindow[int](3)
        window.add(10)
        window.add(20)
        assert window[-1] == 10 and window[-2] == 20 and window[-3] == 0  # before count: default
        with pytest.raises(IndexError):
            _ = window[-4]
        assert window[2] == 0 and window.size == 3  # inside size: default, no resize
        assert window[5] == 0 and window.size == 6  # past size: grows, as LEAN does
        untyped = RollingWindow(1)
        assert untyped[0] is None

    def test_resize_keeps_newest(self) -> None:
        window = RollingWindow(5)
        for value in range(5):
            window.add(value)
        window.size = 2
        assert list(window) == [4, 3] and window.size == 2
        window.size = 4
        window.add(5)
        assert list(window) == [5, 4, 3]

    def test_setter(self) -> None:
        window = RollingWindow[float](3)
        window.add(1)
        window[0] = 9
        assert window[0] == 9.0
        window[2] = 7  # pads with defaults as the newest items, then writes index 2 (the old 9), like LEAN
        assert list(window) == [0.0, 0.0, 7.0] and window.samples == 3
        window[-1] = 4  # a negative index in the setter counts from the size
        assert window[2] == 4.0

    def test_reset_and_types(self) -> None:
        window = RollingWindow[float](2)
        window.add(1)
        window.reset()
        assert window.count == 0 and window.samples == 0 and window.size == 2
        with pytest.raises(TypeError, match="cannot hold"):
            window.add(None)
        bars = RollingWindow[Bar](2)
        bars.add(Bar(day(0), 1, 1, 1, 1))
        with pytest.raises(TypeError, match="expected Bar"):
            bars.add(1.0)
        with pytest.raises(TypeError):
            len(window)  # type: ignore[arg-type]  # LEAN's window has no len(); use .count
        with pytest.raises(ValueError):
            RollingWindow(-1)

    def test_holds_indicator_points(self) -> None:
        sma = SimpleMovingAverage(2)
        history = RollingWindow[IndicatorDataPoint](3)
        sma.updated += lambda sender, point: history.add(point)
        feed(sma, [1, 3, 5, 7])
        assert [p.value for p in history] == [6.0, 4.0, 2.0]
