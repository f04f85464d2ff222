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

import numpy as np
import pandas as pd

from .dataset import NOMINAL_LEVERAGE, PERIODS_PER_YEAR, InputError, baseline_drag, check_inputs

__all__ = ["WINDOW", "FEATURE_NAMES", "COMPACT_FEATURES", "SCALE_FLOORS", "WARMUP_SESSIONS", "FeatureError",
           "build_features", "check_feature_names", "complete_rows", "feature_windows", "scale_floors", "RangeScaler"]

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


def _qqq_features(close: pd.Series) -> dict[str, pd.Series]:
    log_price = np.log(close)
    r = close.pct_change(fill_method=None)
    vol_21 = _vol(r, 21)
    steps = log_price.diff().abs().rolling(21, min_periods=21).sum()
    return {
        "qqq_ret_1": r,
        "qqq_ret_5": log_price.diff(5),
        "qqq_ret_21": log_price.diff(21),
        "qqq_ret_63": log_price.diff(63),
        "qqq_abs_ret_1": r.abs(),
        "qqq_vol_5": _vol(r, 5),
        "qqq_vol_10": _vol(r, 10),
        "qqq_vol_21": vol_21,
        "qqq_vol_63": _vol(r, 63),
        "qqq_vol_252": _vol(r, 252),
        "qqq_ewm_vol_10": r.ewm(halflife=10, min_periods=21).std() * _ANN,
        "qqq_vol_ratio_5_63": _vol(r, 5) / _vol(r, 63),
        "qqq_vol_ratio_21_252": vol_21 / _vol(r, 252),
        "qqq_vol_of_vol_63": vol_21.rolling(63, min_periods=63).std(),
        "qqq_sma_gap_20": _sma_gap(close, 20),
        "qqq_sma_gap_50": _sma_gap(close, 50),
        "qqq_sma_gap_200": _sma_gap(close, 200),
        "qqq_drawdown_252": close / close.rolling(252, min_periods=252).max() - 1.0,
        "qqq_zscore_21": _zscore(close, 21),
        "qqq_efficiency_21": log_price.diff(21).abs() / steps.where(steps > 0),
        "qqq_skew_63": r.rolling(63, min_periods=63).skew(),
        "qqq_kurt_63": r.rolling(63, min_periods=63).kurt(),
        "qqq_up_share_21": (r > 0).astype(float).where(r.notna()).rolling(21, min_periods=21).mean(),
        # Expected daily decay of a daily-rebalanced 3x fund vs 3x the index: L(L-1)/2 * sigma^2 per session.
        "qqq_decay_3x_21": NOMINAL_LEVERAGE * (NOMINAL_LEVERAGE - 1) / 2 * (vol_21 / _ANN) ** 2,
    }


def _tqqq_features(inputs: pd.DataFrame) -> dict[str, pd.Series]:
    qqq, tqqq = inputs["qqq"], inputs["tqqq"]
    rq = qqq.pct_change(fill_method=None)
    rt = tqqq.pct_change(fill_method=None)
    drag = rt - NOMINAL_LEVERAGE * rq
    excess = drag - baseline_drag(inputs["irx"].shift(1))
    excess_level = excess.rolling(63, min_periods=63).mean()
    mean_q21 = rq.rolling(21, min_periods=21).mean()
    mean_t21 = rt.rolling(21, min_periods=21).mean()
    cov_21 = (rq * rt).rolling(21, min_periods=21).mean() - mean_q21 * mean_t21
    var_21 = (rq * rq).rolling(21, min_periods=21).mean() - mean_q21 ** 2
    mean_q63 = rq.rolling(63, min_periods=63).mean()
    mean_t63 = rt.rolling(63, min_periods=63).mean()
    cov_63 = (rq * rt).rolling(63, min_periods=63).mean() - mean_q63 * mean_t63
    var_63 = (rq * rq).rolling(63, min_periods=63).mean() - mean_q63 ** 2
    slope_63 = cov_63 / var_63.where(var_63 > 1e-14)
    return {
        "tqqq_ret_1": rt,
        "tqqq_ret_5": np.log(tqqq).diff(5),
        "tqqq_ret_21": np.log(tqqq).diff(21),
        "tqqq_vol_21": _vol(rt, 21),
        "tqqq_vol_63": _vol(rt, 63),
        "tqqq_drawdown_63": tqqq / tqqq.rolling(63, min_periods=63).max() - 1.0,
        "drag_1": drag,
        "drag_abs_1": drag.abs(),
        "drag_mean_5": drag.rolling(5, min_periods=5).mean(),
        "drag_mean_21": drag.rolling(21, min_periods=21).mean(),
        "drag_mean_63": drag.rolling(63, min_periods=63).mean(),
        "drag_ewm_2": drag.ewm(halflife=2, min_periods=5).mean(),
        "drag_std_21": drag.rolling(21, min_periods=21).std(),
        "drag_std_63": drag.rolling(63, min_periods=63).std(),
        "drag_compound_21": np.log(tqqq).diff(21) - NOMINAL_LEVERAGE * np.log(qqq).diff(21),
        "drag_excess_1": excess,
        "drag_excess_mean_21": excess.rolling(21, min_periods=21).mean(),
        "drag_excess_mean_63": excess_level,
        # Surprises: excess drag minus its own 63-session level, so their mean does not move with rates or
        # costs; the closing-price noise they carry reverts the next day.
        "drag_surprise_1": excess - excess_level,
        "drag_surprise_ewm_2": excess.ewm(halflife=2, min_periods=5).mean() - excess_level,
        "lev_slope_21": cov_21 / var_21.where(var_21 > 1e-14),
        "lev_slope_63": slope_63,
        "lev_intercept_63": mean_t63 - slope_63 * mean_q63,
        "lev_corr_63": rt.rolling(63, min_periods=63).corr(rq),
    }


def _vix_features(vix: pd.Series, qqq_vol_21: pd.Series) -> dict[str, pd.Series]:
    log_vix = np.log(vix)
    level = vix / 100.0
    return {
        "vix_level": level,
        "vix_log": log_vix,
        "vix_change_1": log_vix.diff(1),
        "vix_change_5": log_vix.diff(5),
        "vix_change_21": log_vix.diff(21),
        "vix_zscore_21": _zscore(vix, 21),
        "vix_zscore_252": _zscore(vix, 252),
        "vix_sma_gap_10": _sma_gap(vix, 10),
        "vix_pct_252": vix.rolling(252, min_periods=252).rank(pct=True),
        "vix_above_20": (vix > 20).astype(float).where(vix.notna()),
        "vix_above_30": (vix > 30).astype(float).where(vix.notna()),
        "vix_vol_21": log_vix.diff().rolling(21, min_periods=21).std() * _ANN,
        "vix_max_gap_21": vix / vix.rolling(21, min_periods=21).max() - 1.0,
        "vix_minus_realised_21": level - qqq_vol_21,
        "vix_decay_3x": NOMINAL_LEVERAGE * (NOMINAL_LEVERAGE - 1) / 2 * level ** 2 / PERIODS_PER_YEAR,
    }


def _term_features(vix: pd.Series, vix3m: pd.Series) -> dict[str, pd.Series]:
    ratio = vix / vix3m
    return {
        "term_vix3m_level": vix3m / 100.0,
        "term_ratio": ratio,
        "term_spread": (vix3m - vix) / 100.0,
        "term_ratio_change_5": ratio.diff(5),
        "term_ratio_zscore_63": _zscore(ratio, 63),
        "term_ratio_mean_21": ratio.rolling(21, min_periods=21).mean(),
        "term_backwardation": (ratio > 1.0).astype(float).where(ratio.notna()),
    }


def _rate_features(irx_percent: pd.Series, tnx_percent: pd.Series) -> dict[str, pd.Series]:
    irx, tnx = irx_percent / 100.0, tnx_percent / 100.0
    slope = tnx - irx
    return {
        "rate_irx": irx,
        "rate_irx_change_5": irx.diff(5),
        "rate_irx_change_21": irx.diff(21),
        "rate_irx_change_63": irx.diff(63),
        "rate_tnx": tnx,
        "rate_tnx_change_5": tnx.diff(5),
        "rate_tnx_change_21": tnx.diff(21),
        "rate_curve_slope": slope,
        "rate_curve_slope_change_21": slope.diff(21),
        "rate_curve_inverted": (slope < 0).astype(float).where(slope.notna()),
        "rate_regime_252": irx - irx.rolling(252, min_periods=252).mean(),
    }


def _regime_features(parts: dict[str, pd.Series]) -> dict[str, pd.Series]:
    vol_21 = parts["qqq_vol_21"]
    stress_parts = [parts["vix_zscore_252"], _zscore(vol_21, 252), -_zscore(parts["qqq_ret_21"], 252)]
    stress = pd.concat(stress_parts, axis=1).mean(axis=1, skipna=False)
    bull = (parts["qqq_sma_gap_200"] > 0).astype(float).where(parts["qqq_sma_gap_200"].notna())
    median_vol = vol_21.rolling(252, min_periods=252).median()
    high_vol = (vol_21 > median_vol).astype(float).where(median_vol.notna())
    return {
        "regime_stress_index": stress,
        "regime_bull": bull,
        "regime_high_vol": high_vol,
        "regime_bear_high_vol": (1.0 - bull) * high_vol,
        "regime_trend_strength": parts["qqq_sma_gap_50"] / parts["qqq_vol_63"],
        "regime_deep_drawdown": (parts["qqq_drawdown_252"] < -0.1).astype(float)
                                .where(parts["qqq_drawdown_252"].notna()),
    }


def _calendar_features(index: pd.DatetimeIndex) -> dict[str, pd.Series]:
    gap = pd.Series(index, index=index).diff().dt.days
    return {
        "cal_friday": pd.Series((index.dayofweek == 4).astype(float), index=index),
        "cal_days_since_prev": gap.astype(float),
    }


def build_features(inputs: pd.DataFrame) -> pd.DataFrame:
    """All features (columns :data:`FEATURE_NAMES`) for every session of ``inputs`` (from align_inputs).

    Row t depends only on rows <= t of ``inputs``. NaN marks warm-up and missing series (see module doc).
    """
    check_inputs(inputs)
    frame = pd.DataFrame(_parts(inputs), index=inputs.index)
    frame = frame.replace([np.inf, -np.inf], np.nan)
    return frame[list(FEATURE_NAMES)].astype(float)


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


def _names() -> tuple[str, ...]:
    index = pd.bdate_range("2000-01-03", periods=8)
    dummy = pd.DataFrame({c: np.linspace(1.0, 2.0, len(index)) for c in ("qqq", "tqqq", "vix", "vix3m",
                                                                            "irx", "tnx")}, index=index)
    return tuple(_parts(dummy))


def _parts(inputs: pd.DataFrame) -> dict[str, pd.Series]:
    """Every feature group, in order: the one place the feature set is assembled."""
    parts: dict[str, pd.Series] = {}
    parts.update(_qqq_features(inputs["qqq"]))
    parts.update(_tqqq_features(inputs))
    parts.update(_vix_features(inputs["vix"], parts["qqq_vol_21"]))
    parts.update(_term_features(inputs["vix"], inputs["vix3m"]))
    parts.update(_rate_features(inputs["irx"], inputs["tnx"]))
    parts.update(_regime_features(parts))
    parts.update(_calendar_features(pd.DatetimeIndex(inputs.index)))
    return parts


FEATURE_NAMES: tuple[str, ...] = _names()


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
