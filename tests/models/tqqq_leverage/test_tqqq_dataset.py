"""align_inputs: calendar, gaps (VIX errors, rate holidays filled), bad values; features: no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from models.tqqq_leverage.dataset import INPUT_COLUMNS, DataGapError, InputError, align_inputs
from models.tqqq_leverage.features import (
    COMPACT_FEATURES,
    FEATURE_NAMES,
    SCALE_FLOORS,
    WARMUP_SESSIONS,
    FeatureError,
    build_features,
    check_feature_names,
    complete_rows,
    feature_windows,
)


def _series(index, values):
    return pd.Series(values, index=index, dtype=float)


def _raw(n=40):
    index = pd.bdate_range("2020-01-01", periods=n)
    ramp = np.linspace(1.0, 1.2, n)
    return index, dict(qqq=_series(index, 100 * ramp), tqqq=_series(index, 50 * ramp ** 3),
                       vix=_series(index, 20 * ramp), vix3m=_series(index, 22 * ramp),
                       irx=_series(index, np.full(n, 1.5)), tnx=_series(index, np.full(n, 2.5)))


def test_aligns_on_qqq_sessions_and_drops_other_dates():
    index, raw = _raw()
    raw["vix"] = pd.concat([raw["vix"], _series([pd.Timestamp("2020-01-04")], [99.0])]).sort_index()  # a Saturday
    frame = align_inputs(**raw)
    assert list(frame.columns) == list(INPUT_COLUMNS)
    assert frame.index.equals(index)
    assert 99.0 not in frame["vix"].to_numpy()


def test_vix_gap_is_an_error_naming_series_and_dates():
    index, raw = _raw()
    raw["vix"] = raw["vix"].drop(index[[10, 11]])
    with pytest.raises(DataGapError, match=r"vix has no value on 2 QQQ session\(s\).*2020-01-15, 2020-01-16.*"
                                           r"fill_limits=\{'vix': n\}"):
        align_inputs(**raw)
    # Explicitly allowing two missing sessions fills them from the previous close.
    filled = align_inputs(**raw, fill_limits={"vix": 2})
    assert filled["vix"].iloc[10] == filled["vix"].iloc[11] == raw["vix"].iloc[9]


def test_rates_are_filled_over_bond_holidays_but_not_longer():
    index, raw = _raw()
    raw["irx"] = raw["irx"].drop(index[5])  # e.g. Columbus Day: equities trade, Treasuries do not
    assert align_inputs(**raw)["irx"].notna().all()
    raw["tnx"] = raw["tnx"].drop(index[5:9])
    with pytest.raises(DataGapError, match="tnx has no value on 4"):
        align_inputs(**raw)


def test_series_that_start_later_are_not_gaps_and_may_be_absent():
    index, raw = _raw()
    raw["tqqq"] = raw["tqqq"].iloc[20:]
    frame = align_inputs(**raw)
    assert frame["tqqq"].iloc[:20].isna().all() and frame["tqqq"].iloc[20:].notna().all()
    assert align_inputs(**{**raw, "tqqq": None, "vix3m": None})["vix3m"].isna().all()
    with pytest.raises(InputError, match="vix is required"):
        align_inputs(**{**raw, "vix": None})


@pytest.mark.parametrize(("change", "message"), [
    (lambda raw: raw.update(qqq=raw["qqq"].where(raw["qqq"].index != raw["qqq"].index[3], -1.0)), "qqq must be > 0"),
    (lambda raw: raw.update(vix=pd.concat([raw["vix"], raw["vix"].iloc[:1]])), "vix: duplicate dates"),
    (lambda raw: raw.update(irx=pd.DataFrame({"open": raw["irx"]})), "irx: expected a Series of closes"),
    (lambda raw: raw.update(tnx=raw["tnx"].replace(2.5, np.inf)), "tnx holds infinite values"),
    (lambda raw: raw.update(qqq=[1, 2, 3]), "qqq: expected a pandas Series"),
])
def test_bad_inputs_are_rejected_with_clear_messages(change, message):
    _, raw = _raw()
    change(raw)
    with pytest.raises(InputError, match=message):
        align_inputs(**raw)


def test_bad_fill_limits_are_rejected():
    _, raw = _raw()
    with pytest.raises(InputError, match="unknown series 'spx'"):
        align_inputs(**raw, fill_limits={"spx": 1})
    with pytest.raises(InputError, match=r"fill_limits\['vix'\] must be an integer >= 0"):
        align_inputs(**raw, fill_limits={"vix": -1})


def test_dataframe_inputs_use_adjusted_close_when_present():
    index, raw = _raw()
    frame = pd.DataFrame({"Open": 1.0, "Close": raw["qqq"] * 2, "Adj Close": raw["qqq"]}, index=index)
    assert align_inputs(**{**raw, "qqq": frame})["qqq"].equals(align_inputs(**raw)["qqq"])


# --------------------------------------------------------------------------------------------- features
def test_feature_set_is_large_named_and_compact_subset_is_valid():
    assert len(FEATURE_NAMES) >= 60 and len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    groups = {name.split("_")[0] for name in FEATURE_NAMES}
    assert {"qqq", "tqqq", "drag", "lev", "vix", "term", "rate", "regime", "cal"} <= groups
    assert check_feature_names(list(COMPACT_FEATURES)) == COMPACT_FEATURES
    assert set(SCALE_FLOORS) <= set(FEATURE_NAMES)
    with pytest.raises(FeatureError, match=r"unknown \['nope'\]"):
        check_feature_names(["qqq_ret_1", "nope"])
    with pytest.raises(FeatureError, match="2 given, 1 distinct"):
        check_feature_names(["qqq_ret_1", "qqq_ret_1"])


def test_feature_values_follow_their_definitions(planted):
    inputs = planted.inputs
    features = build_features(inputs)
    r_qqq = inputs["qqq"].pct_change()
    r_tqqq = inputs["tqqq"].pct_change()
    np.testing.assert_allclose(features["drag_1"], r_tqqq - 3 * r_qqq, atol=1e-12)
    np.testing.assert_allclose(features["term_ratio"], inputs["vix"] / inputs["vix3m"])
    np.testing.assert_allclose(features["rate_curve_slope"], (inputs["tnx"] - inputs["irx"]) / 100)
    np.testing.assert_allclose(features["qqq_vol_21"].iloc[-1], r_qqq.iloc[-21:].std() * np.sqrt(252))
    last = features.iloc[-1]
    assert last["lev_slope_63"] == pytest.approx(np.polyfit(r_qqq.iloc[-63:], r_tqqq.iloc[-63:], 1)[0], rel=1e-9)
    complete = complete_rows(features)
    assert not complete.iloc[:WARMUP_SESSIONS - 1].any()  # warm-up rows are incomplete, never silently filled
    assert complete.iloc[WARMUP_SESSIONS - 1:].all()


def test_feature_windows_reject_incomplete_windows(planted):
    values = build_features(planted.inputs).to_numpy()
    windows = feature_windows(values, np.array([400, 401]))
    assert windows.shape == (2, 10, len(FEATURE_NAMES))
    np.testing.assert_allclose(windows[1, -1], values[401], rtol=1e-6)
    with pytest.raises(FeatureError, match="NaN/inf"):
        feature_windows(values, np.array([50]))
    with pytest.raises(FeatureError, match="window ends must lie in"):
        feature_windows(values, np.array([5]))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(300, 700), scale=st.floats(0.5, 2.0), column=st.sampled_from(list(INPUT_COLUMNS)))
def test_features_at_t_ignore_everything_after_t(planted, cut, scale, column):
    inputs = planted.inputs.iloc[:720]
    changed = inputs.copy()
    changed.iloc[cut + 1:, changed.columns.get_loc(column)] *= scale
    before = build_features(inputs).iloc[:cut + 1]
    after = build_features(changed).iloc[:cut + 1]
    pd.testing.assert_frame_equal(before, after)
    truncated = build_features(inputs.iloc[:cut + 1])
    pd.testing.assert_frame_equal(before, truncated)
