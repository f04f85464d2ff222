"""The feature frame: 89 daily features from QQQ, TQQQ, VIX, VIX3M, IRX and TNX.

Row t of :func:`build_features` uses only data up to and including the close of session t (trailing windows,
no centring, no fitting); the model that predicts session t+1 reads rows t-9..t (:data:`WINDOW` = 10, as in
the source). Rates are used as fractions (IRX/TNX percent / 100); volatilities are annualised with sqrt(252).

Groups (names in :data:`FEATURE_NAMES`, in this order):

- ``qqq_*`` (24): returns over 1/5/21/63 sessions, absolute return, realised volatility over 5/10/21/63/252,
  EWM volatility, volatility ratios, vol-of-vol, SMA gaps 20/50/200, 252-day drawdown, 21-day z-score,
  efficiency ratio (trend strength), skew/kurtosis, up-day share, theoretical 3x volatility decay.
- ``tqqq_*`` and ``drag_*``/``lev_*`` (24): TQQQ returns, volatility and drawdown, the drag
  ``r_TQQQ - 3 r_QQQ`` and its means, EWM, dispersion and 21-day compounding gap, the drag beyond the analytic
  baseline (excess) with its 21/63-session levels and its surprises (excess minus its 63-session level),
  trailing OLS leverage and intercept, TQQQ/QQQ correlation.
  TQQQ features use windows of at most 63 sessions so they start ~3 months after TQQQ's inception.
- ``vix_*`` (15): level, log level, changes, z-scores, SMA gap, 252-day percentile, regime flags, VIX
  volatility, 21-day max, implied-minus-realised volatility, implied 3x decay.
- ``term_*`` (7): VIX3M level and the VIX term structure (VIX/VIX3M ratio, spread, its changes, z-score,
  mean, backwardation flag).
- ``rate_*`` (11): IRX and TNX levels and changes, the yield-curve slope TNX-IRX, its change, inversion flag,
  rate regime (IRX minus its 252-day mean).
- ``regime_*`` (6): a market stress index (mean of the 252-day z-scores of VIX, realised volatility and minus
  the 21-day return), bull/high-volatility regimes, trend strength, drawdown regime.
- ``cal_*`` (2): Friday flag (the next session follows a weekend) and calendar days since the previous session.

:func:`build_features` returns NaN during warm-up (the first complete row is session :data:`WARMUP_SESSIONS`
= 273) and before a series exists; :func:`complete_rows` marks the rows where every feature is finite.

**The scaler** (:class:`RangeScaler`): standardise with training statistics, after clipping to the training range.

:class:`RangeScaler` is fitted on the training window only. ``transform`` first clips every feature to the
``[min, max]`` it took in training, then standardises it with the training mean and a floored standard
deviation (:data:`~models.tqqq_leverage.features.SCALE_FLOORS`). Clipping to the training range means the
network is never asked to extrapolate: with the T-bill rate at 2% in 2018 and at most 0.5% in a 2010-2016
training window, the 2018 input is "the highest rate seen in training", not a point 13 standard deviations
out (measured on real data: +20% terminal-wealth error out of sample without the clip). NaN stays NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..array_series import ArraySeries
from .dataset import NOMINAL_LEVERAGE, PERIODS_PER_YEAR, InputError, baseline_drag, check_inputs

__all__ = ["WINDOW", "FEATURE_NAMES", "COMPACT_FEATURES", "SCALE_FLOORS", "WARMUP_SESSIONS", "FeatureError",
           "build_features", "feature_values", "check_feature_names", "complete_rows", "feature_windows", "scale_floors", "RangeScaler"]

WINDOW = 10
# Sessions of history for one complete row: a 252-day z-score of a 21-session volatility (22 prices + 251).
WARMUP_SESSIONS = 22 + 251
_ANN = float(np.sqrt(PERIODS_PER_YEAR))


class FeatureError(InputError):
    """Features could not be built or are not finite where they must be."""


def _vol(returns: pd.Series, window: int) -> pd.Series:
    return returns.rolling(window, min_periods=window).std() * _ANN


def _zscore(series: pd.Series, window: int) -> pd.Series:
    mean = series.rolling(window, min_periods=window).mean()
    std = series.rolling(window, min_periods=window).std()
    return (series - mean) / std.where(std > 0)


def _sma_gap(series: pd.Series, window: int) -> pd.Series:
    return series / series.rolling(window, min_periods=window).mean() - 1.0


_DECAY_3X = NOMINAL_LEVERAGE * (NOMINAL_LEVERAGE - 1) / 2


def _slope(cov: pd.Series, var: pd.Series) -> pd.Series:
    return cov / var.where(var > 1e-14)


def _flag(condition: pd.Series, known: pd.Series) -> pd.Series:
    return condition.astype(float).where(known.notna())


def _mean(*series: pd.Series) -> pd.Series:
    """The row mean, NaN where any term is NaN."""
    if all(isinstance(s, pd.Series) for s in series):
        return pd.concat(series, axis=1).mean(axis=1, skipna=False)
    return ArraySeries(np.stack([s.values for s in series]).mean(axis=0))


_DAY_NS = 86_400 * 10**9


Definition = Callable[["_Parts"], pd.Series]
# Every feature (and the intermediates starting with "_"), in FEATURE_NAMES order: one formula each, evaluated on
# demand by _Parts, so a model that reads 14 features costs 14 features (and what they are built from).
_DEFINITIONS: dict[str, Definition] = {
    # -- QQQ
    "_qqq": lambda p: p.inputs["qqq"],
    "_qqq_log": lambda p: np.log(p["_qqq"]),
    "qqq_ret_1": lambda p: p["_qqq"].pct_change(fill_method=None),
    "qqq_ret_5": lambda p: p["_qqq_log"].diff(5),
    "qqq_ret_21": lambda p: p["_qqq_log"].diff(21),
    "qqq_ret_63": lambda p: p["_qqq_log"].diff(63),
    "qqq_abs_ret_1": lambda p: p["qqq_ret_1"].abs(),
    "qqq_vol_5": lambda p: _vol(p["qqq_ret_1"], 5),
    "qqq_vol_10": lambda p: _vol(p["qqq_ret_1"], 10),
    "qqq_vol_21": lambda p: _vol(p["qqq_ret_1"], 21),
    "qqq_vol_63": lambda p: _vol(p["qqq_ret_1"], 63),
    "qqq_vol_252": lambda p: _vol(p["qqq_ret_1"], 252),
    "qqq_ewm_vol_10": lambda p: p["qqq_ret_1"].ewm(halflife=10, min_periods=21).std() * _ANN,
    "qqq_vol_ratio_5_63": lambda p: p["qqq_vol_5"] / p["qqq_vol_63"],
    "qqq_vol_ratio_21_252": lambda p: p["qqq_vol_21"] / p["qqq_vol_252"],
    "qqq_vol_of_vol_63": lambda p: p["qqq_vol_21"].rolling(63, min_periods=63).std(),
    "qqq_sma_gap_20": lambda p: _sma_gap(p["_qqq"], 20),
    "qqq_sma_gap_50": lambda p: _sma_gap(p["_qqq"], 50),
    "qqq_sma_gap_200": lambda p: _sma_gap(p["_qqq"], 200),
    "qqq_drawdown_252": lambda p: p["_qqq"] / p["_qqq"].rolling(252, min_periods=252).max() - 1.0,
    "qqq_zscore_21": lambda p: _zscore(p["_qqq"], 21),
    "_qqq_steps_21": lambda p: p["_qqq_log"].diff().abs().rolling(21, min_periods=21).sum(),
    "qqq_efficiency_21": lambda p: p["qqq_ret_21"].abs() / p["_qqq_steps_21"].where(p["_qqq_steps_21"] > 0),
    "qqq_skew_63": lambda p: p["qqq_ret_1"].rolling(63, min_periods=63).skew(),
    "qqq_kurt_63": lambda p: p["qqq_ret_1"].rolling(63, min_periods=63).kurt(),
    "qqq_up_share_21": lambda p: _flag(p["qqq_ret_1"] > 0, p["qqq_ret_1"]).rolling(21, min_periods=21).mean(),
    # Expected daily decay of a daily-rebalanced 3x fund vs 3x the index: L(L-1)/2 * sigma^2 per session.
    "qqq_decay_3x_21": lambda p: _DECAY_3X * (p["qqq_vol_21"] / _ANN) ** 2,
    # -- TQQQ, drag and trailing leverage
    "_tqqq": lambda p: p.inputs["tqqq"],
    "_tqqq_log": lambda p: np.log(p["_tqqq"]),
    "tqqq_ret_1": lambda p: p["_tqqq"].pct_change(fill_method=None),
    "tqqq_ret_5": lambda p: p["_tqqq_log"].diff(5),
    "tqqq_ret_21": lambda p: p["_tqqq_log"].diff(21),
    "tqqq_vol_21": lambda p: _vol(p["tqqq_ret_1"], 21),
    "tqqq_vol_63": lambda p: _vol(p["tqqq_ret_1"], 63),
    "tqqq_drawdown_63": lambda p: p["_tqqq"] / p["_tqqq"].rolling(63, min_periods=63).max() - 1.0,
    "drag_1": lambda p: p["tqqq_ret_1"] - NOMINAL_LEVERAGE * p["qqq_ret_1"],
    "drag_abs_1": lambda p: p["drag_1"].abs(),
    "drag_mean_5": lambda p: p["drag_1"].rolling(5, min_periods=5).mean(),
    "drag_mean_21": lambda p: p["drag_1"].rolling(21, min_periods=21).mean(),
    "drag_mean_63": lambda p: p["drag_1"].rolling(63, min_periods=63).mean(),
    "drag_ewm_2": lambda p: p["drag_1"].ewm(halflife=2, min_periods=5).mean(),
    "drag_std_21": lambda p: p["drag_1"].rolling(21, min_periods=21).std(),
    "drag_std_63": lambda p: p["drag_1"].rolling(63, min_periods=63).std(),
    "drag_compound_21": lambda p: p["tqqq_ret_21"] - NOMINAL_LEVERAGE * p["qqq_ret_21"],
    "drag_excess_1": lambda p: p["drag_1"] - baseline_drag(p.inputs["irx"].shift(1)),
    "drag_excess_mean_21": lambda p: p["drag_excess_1"].rolling(21, min_periods=21).mean(),
    "drag_excess_mean_63": lambda p: p["drag_excess_1"].rolling(63, min_periods=63).mean(),
    # Surprises: excess drag minus its own 63-session level, so their mean does not move with rates or
    # costs; the closing-price noise they carry reverts the next day.
    "drag_surprise_1": lambda p: p["drag_excess_1"] - p["drag_excess_mean_63"],
    "drag_surprise_ewm_2": lambda p: p["drag_excess_1"].ewm(halflife=2, min_periods=5).mean()
    - p["drag_excess_mean_63"],
    "_mean_q21": lambda p: p["qqq_ret_1"].rolling(21, min_periods=21).mean(),
    "_mean_q63": lambda p: p["qqq_ret_1"].rolling(63, min_periods=63).mean(),
    "_mean_t21": lambda p: p["tqqq_ret_1"].rolling(21, min_periods=21).mean(),
    "_mean_t63": lambda p: p["tqqq_ret_1"].rolling(63, min_periods=63).mean(),
    "_qt": lambda p: p["qqq_ret_1"] * p["tqqq_ret_1"],
    "_qq": lambda p: p["qqq_ret_1"] * p["qqq_ret_1"],
    "lev_slope_21": lambda p: _slope(p["_qt"].rolling(21, min_periods=21).mean() - p["_mean_q21"] * p["_mean_t21"],
                                     p["_qq"].rolling(21, min_periods=21).mean() - p["_mean_q21"] ** 2),
    "lev_slope_63": lambda p: _slope(p["_qt"].rolling(63, min_periods=63).mean() - p["_mean_q63"] * p["_mean_t63"],
                                     p["_qq"].rolling(63, min_periods=63).mean() - p["_mean_q63"] ** 2),
    "lev_intercept_63": lambda p: p["_mean_t63"] - p["lev_slope_63"] * p["_mean_q63"],
    "lev_corr_63": lambda p: p["tqqq_ret_1"].rolling(63, min_periods=63).corr(p["qqq_ret_1"]),
    # -- VIX
    "_vix": lambda p: p.inputs["vix"],
    "vix_level": lambda p: p["_vix"] / 100.0,
    "vix_log": lambda p: np.log(p["_vix"]),
    "vix_change_1": lambda p: p["vix_log"].diff(1),
    "vix_change_5": lambda p: p["vix_log"].diff(5),
    "vix_change_21": lambda p: p["vix_log"].diff(21),
    "vix_zscore_21": lambda p: _zscore(p["_vix"], 21),
    "vix_zscore_252": lambda p: _zscore(p["_vix"], 252),
    "vix_sma_gap_10": lambda p: _sma_gap(p["_vix"], 10),
    "vix_pct_252": lambda p: p["_vix"].rolling(252, min_periods=252).rank(pct=True),
    "vix_above_20": lambda p: _flag(p["_vix"] > 20, p["_vix"]),
    "vix_above_30": lambda p: _flag(p["_vix"] > 30, p["_vix"]),
    "vix_vol_21": lambda p: p["vix_log"].diff().rolling(21, min_periods=21).std() * _ANN,
    "vix_max_gap_21": lambda p: p["_vix"] / p["_vix"].rolling(21, min_periods=21).max() - 1.0,
    "vix_minus_realised_21": lambda p: p["vix_level"] - p["qqq_vol_21"],
    "vix_decay_3x": lambda p: _DECAY_3X * p["vix_level"] ** 2 / PERIODS_PER_YEAR,
    # -- VIX term structure
    "term_vix3m_level": lambda p: p.inputs["vix3m"] / 100.0,
    "term_ratio": lambda p: p["_vix"] / p.inputs["vix3m"],
    "term_spread": lambda p: (p.inputs["vix3m"] - p["_vix"]) / 100.0,
    "term_ratio_change_5": lambda p: p["term_ratio"].diff(5),
    "term_ratio_zscore_63": lambda p: _zscore(p["term_ratio"], 63),
    "term_ratio_mean_21": lambda p: p["term_ratio"].rolling(21, min_periods=21).mean(),
    "term_backwardation": lambda p: _flag(p["term_ratio"] > 1.0, p["term_ratio"]),
    # -- rates (fractions)
    "rate_irx": lambda p: p.inputs["irx"] / 100.0,
    "rate_irx_change_5": lambda p: p["rate_irx"].diff(5),
    "rate_irx_change_21": lambda p: p["rate_irx"].diff(21),
    "rate_irx_change_63": lambda p: p["rate_irx"].diff(63),
    "rate_tnx": lambda p: p.inputs["tnx"] / 100.0,
    "rate_tnx_change_5": lambda p: p["rate_tnx"].diff(5),
    "rate_tnx_change_21": lambda p: p["rate_tnx"].diff(21),
    "rate_curve_slope": lambda p: p["rate_tnx"] - p["rate_irx"],
    "rate_curve_slope_change_21": lambda p: p["rate_curve_slope"].diff(21),
    "rate_curve_inverted": lambda p: _flag(p["rate_curve_slope"] < 0, p["rate_curve_slope"]),
    "rate_regime_252": lambda p: p["rate_irx"] - p["rate_irx"].rolling(252, min_periods=252).mean(),
    # -- regimes
    "regime_stress_index": lambda p: _mean(p["vix_zscore_252"], _zscore(p["qqq_vol_21"], 252),
                                           -_zscore(p["qqq_ret_21"], 252)),
    "regime_bull": lambda p: _flag(p["qqq_sma_gap_200"] > 0, p["qqq_sma_gap_200"]),
    "_median_vol": lambda p: p["qqq_vol_21"].rolling(252, min_periods=252).median(),
    "regime_high_vol": lambda p: _flag(p["qqq_vol_21"] > p["_median_vol"], p["_median_vol"]),
    "regime_bear_high_vol": lambda p: (1.0 - p["regime_bull"]) * p["regime_high_vol"],
    "regime_trend_strength": lambda p: p["qqq_sma_gap_50"] / p["qqq_vol_63"],
    "regime_deep_drawdown": lambda p: _flag(p["qqq_drawdown_252"] < -0.1, p["qqq_drawdown_252"]),
    # -- calendar
    "cal_friday": lambda p: p.series((p.index.dayofweek == 4).astype(float)),
    "cal_days_since_prev": lambda p: p.series(np.concatenate([[np.nan], np.diff(p.index.asi8) // _DAY_NS]).astype(float)),
}


class _Parts:
    """The features of one input table, each computed on first use and kept: pandas Series, or
    :class:`~models.array_series.ArraySeries` (same formulas on plain arrays) when ``arrays``."""

    def __init__(self, inputs: pd.DataFrame, arrays: bool = False):
        self.index = pd.DatetimeIndex(inputs.index)
        self.arrays = arrays
        self.inputs: Any = {c: ArraySeries(inputs[c].to_numpy(dtype=float)) for c in inputs.columns} if arrays \
            else inputs
        self._values: dict[str, Any] = {}

    def series(self, values: np.ndarray) -> Any:
        """``values`` (one per row) in this table's type."""
        return ArraySeries(values) if self.arrays else pd.Series(values, index=self.index)

    def __getitem__(self, name: str) -> pd.Series:
        value = self._values.get(name)
        if value is None:
            value = self._values[name] = _DEFINITIONS[name](self)
        return value


def build_features(inputs: pd.DataFrame, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Features (columns ``names``, default :data:`FEATURE_NAMES`) for every session of ``inputs`` (from
    align_inputs). Only the requested features and what they are built from are computed, with the same
    formulas, so ``build_features(x, names)`` equals ``build_features(x)[names]``.

    Row t depends only on rows <= t of ``inputs``. NaN marks warm-up and missing series (see module doc).
    """
    check_inputs(inputs)
    names = FEATURE_NAMES if names is None else check_feature_names(names)
    parts = _Parts(inputs)
    frame = pd.DataFrame({name: parts[name] for name in names}, index=inputs.index)
    frame = frame.replace([np.inf, -np.inf], np.nan)
    return frame[list(names)].astype(float)


def feature_values(inputs: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """``build_features(inputs, names).to_numpy()`` computed on plain arrays (:mod:`models.array_series`): the
    same formulas without pandas' per-operation overhead, equal to rounding. For per-bar prediction."""
    check_inputs(inputs)
    names = check_feature_names(names)
    parts = _Parts(inputs, arrays=True)
    values = np.empty((len(inputs), len(names)))
    for column, name in enumerate(names):
        values[:, column] = parts[name].values
    values[np.isinf(values)] = np.nan
    return values


def complete_rows(features: pd.DataFrame) -> pd.Series:
    """Boolean per row: every feature finite."""
    return pd.Series(np.isfinite(features.to_numpy(dtype=float)).all(axis=1), index=features.index)


def feature_windows(values: np.ndarray, ends: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """``values[e - window + 1 : e + 1]`` for each end position ``e``: shape (len(ends), window, features).

    Raises :class:`FeatureError` if a window starts before row 0 or holds a non-finite value.
    """
    ends = np.asarray(ends, dtype=np.intp)
    if values.ndim != 2:
        raise FeatureError(f"feature values must be 2-D (rows, features), got shape {values.shape}")
    if len(ends) and (ends.min() < window - 1 or ends.max() >= len(values)):
        raise FeatureError(f"window ends must lie in [{window - 1}, {len(values) - 1}], "
                           f"got [{ends.min()}, {ends.max()}]")
    if len(ends) == 0:
        return np.empty((0, window, values.shape[1]), dtype=np.float32)
    view = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)  # (n - window + 1, F, window)
    batch = np.ascontiguousarray(view[ends - window + 1].transpose(0, 2, 1))
    if not np.isfinite(batch).all():
        raise FeatureError("a feature window holds NaN/inf: it reaches into the warm-up or a missing series")
    return batch.astype(np.float32)


FEATURE_NAMES: tuple[str, ...] = tuple(name for name in _DEFINITIONS if not name.startswith("_"))


# The compact model's inputs: the mechanisms of the drag beyond the baseline with as little level drift as
# possible. Closing-price tracking noise reverts the next day: the drag *surprises* (deviations from their
# own 63-session level) carry it; raw drag levels are left out because they move with rates and costs for
# years, and a network fitted on 2010-2016 then "reverts" a level shift (measured: +10%/yr of tracking
# difference out of sample with drag_ewm_2, about 0 with the surprises). Volatility decay and rebalancing costs
# come from implied and realised variance, stress and weekends from the rest. The T-bill rate is in so the
# leverage and drag may depend on it; the RangeScaler keeps a rate regime unseen in training (2% in 2018 after
# 0-0.5% in 2010-2016) at the edge of the training range instead of extrapolating it.
COMPACT_FEATURES: tuple[str, ...] = (
    "qqq_ret_1", "qqq_vol_5", "qqq_decay_3x_21", "drag_surprise_1", "drag_surprise_ewm_2", "lev_slope_63",
    "vix_level", "vix_change_1", "vix_decay_3x", "term_ratio", "rate_irx", "regime_stress_index",
    "cal_friday", "cal_days_since_prev",
)


def check_feature_names(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``names`` as a tuple if they are distinct members of :data:`FEATURE_NAMES`, else :class:`FeatureError`."""
    names = tuple(str(n) for n in names)
    unknown = [n for n in names if n not in FEATURE_NAMES]
    if unknown or not names or len(set(names)) != len(names):
        raise FeatureError(f"feature names must be distinct members of FEATURE_NAMES; unknown {unknown}, "
                           f"{len(names)} given, {len(set(names))} distinct")
    return names


# Smallest standardisation scale per feature (in the feature's units). A feature that barely moved in the
# training window (the T-bill rate in 2010-2016: std 0.15 percentage points) would otherwise be blown up to
# unit variance, and a later regime (2% in 2018) would sit 13 standard deviations out. With a floor of one
# percentage point the network sees rates in percent: it can learn a rate effect when rates varied in training,
# and cannot amplify noise when they did not.
SCALE_FLOORS: dict[str, float] = {
    "rate_irx": 0.01, "rate_tnx": 0.01, "rate_curve_slope": 0.01, "rate_regime_252": 0.005,
    "rate_irx_change_5": 0.0025, "rate_irx_change_21": 0.0025, "rate_irx_change_63": 0.0025,
    "rate_tnx_change_5": 0.0025, "rate_tnx_change_21": 0.0025, "rate_curve_slope_change_21": 0.0025,
}


def scale_floors(names: tuple[str, ...] | list[str]) -> np.ndarray:
    """:data:`SCALE_FLOORS` for ``names`` in order (0 where a feature has no floor)."""
    return np.array([SCALE_FLOORS.get(name, 0.0) for name in names], dtype=float)


class RangeScaler:
    """Clip to the training range, then ``(x - mean) / max(std, floor)``; per column."""

    def __init__(self, floors: np.ndarray | None = None):
        self.floors = None if floors is None else np.asarray(floors, dtype=float)

    def fit(self, values: np.ndarray) -> RangeScaler:
        values = np.asarray(values, dtype=float)
        if values.ndim != 2 or len(values) < 2:
            raise ValueError(f"RangeScaler.fit needs a 2-D array with at least 2 rows, got shape {values.shape}")
        if self.floors is not None and self.floors.shape != (values.shape[1],):
            raise ValueError(f"RangeScaler: {len(self.floors)} floors for {values.shape[1]} columns")
        finite = np.isfinite(values)
        if not finite.any(axis=0).all():
            raise ValueError("RangeScaler.fit: a column has no finite value")
        masked = np.where(finite, values, np.nan)
        self.mean_ = np.nanmean(masked, axis=0)
        self.scale_ = np.nanstd(masked, axis=0)
        if self.floors is not None:
            self.scale_ = np.maximum(self.scale_, self.floors)
        self.scale_ = np.where(self.scale_ > 0, self.scale_, 1.0)
        self.min_ = np.nanmin(masked, axis=0)
        self.max_ = np.nanmax(masked, axis=0)
        self.n_features_in_ = values.shape[1]
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if not hasattr(self, "mean_"):
            raise ValueError("RangeScaler is not fitted")
        if values.ndim != 2 or values.shape[1] != self.n_features_in_:
            raise ValueError(f"RangeScaler was fitted on {self.n_features_in_} columns, got shape {values.shape}")
        with np.errstate(invalid="ignore"):
            clipped = np.clip(values, self.min_, self.max_)
        return (clipped - self.mean_) / self.scale_
