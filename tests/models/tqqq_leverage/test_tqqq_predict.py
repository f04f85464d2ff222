"""Prediction: no look-ahead, the same numbers for research and the algorithm, clear errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from models.tqqq_leverage.features import (
    COMPACT_FEATURES,
    FEATURE_NAMES,
    FeatureError,
    build_features,
    feature_values,
)
from models.tqqq_leverage.model import ModelMismatchError, predict_frame, predict_next, required_history
from models.tqqq_leverage.networks import build_compact
from models.tqqq_leverage.training import train


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(1800, 2500), seed=st.integers(0, 10_000))
def test_perturbing_data_after_t_leaves_the_prediction_for_t_unchanged(planted, planted_model, position, seed):
    inputs = planted.inputs
    rng = np.random.default_rng(seed)
    changed = inputs.copy()
    noise = rng.uniform(0.5, 1.5, size=(len(inputs) - position - 1, inputs.shape[1]))
    changed.iloc[position + 1:] = changed.iloc[position + 1:].to_numpy() * noise
    before = predict_frame(planted_model, inputs).iloc[:position + 1]
    after = predict_frame(planted_model, changed).iloc[:position + 1]
    pd.testing.assert_frame_equal(before, after)
    assert not predict_frame(planted_model, changed).iloc[position + 1:].equals(
        predict_frame(planted_model, inputs).iloc[position + 1:])  # later predictions did react


def test_predict_next_equals_the_research_frame(planted, planted_model):
    frame = predict_frame(planted_model, planted.inputs)
    for position in (1900, 2599):
        history = planted.inputs.iloc[:position + 1]
        prediction = predict_next(planted_model, history)
        assert prediction.as_of == history.index[-1].date()
        assert prediction.leverage == pytest.approx(frame["leverage"].iloc[position], rel=1e-6)
        assert prediction.drag == pytest.approx(frame["drag"].iloc[position], rel=1e-5, abs=1e-10)
        assert prediction.tqqq_return(0.01) == pytest.approx(prediction.leverage * 0.01 + prediction.drag)
    # Only the last required_history() sessions matter.
    short = planted.inputs.iloc[2599 + 1 - required_history(planted_model):2600]
    assert predict_next(planted_model, short).leverage == pytest.approx(frame["leverage"].iloc[2599], rel=1e-6)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.integers(0, 2200), length=st.integers(1, 700), tqqq_from=st.integers(0, 500))
def test_the_algorithms_array_features_equal_build_features_on_every_row(planted, start, length, tqqq_from):
    """predict_next computes the features on arrays (feature_values): the same formulas as research's
    build_features, equal on every row up to rounding, NaN in the same places (warm-up, a late TQQQ/VIX3M, a
    flat IRX whose rolling deviation is exactly zero)."""
    inputs = planted.inputs.iloc[start:start + length].copy()
    inputs.iloc[:tqqq_from, 1] = np.nan
    inputs.iloc[:tqqq_from // 2, 3] = np.nan
    inputs.iloc[len(inputs) // 3:len(inputs) // 2, 4] = 1.25
    reference = build_features(inputs).to_numpy()
    values = feature_values(inputs, FEATURE_NAMES)
    np.testing.assert_array_equal(np.isnan(values), np.isnan(reference))
    # price z-scores subtract a 21-day mean of prices ~100 from the price: rounding of that mean (pandas' running
    # sum against numpy's per-window sum) shows at 1e-11; the model's features agree to 1e-12
    np.testing.assert_allclose(values, reference, rtol=1e-10, atol=1e-11)
    compact = [FEATURE_NAMES.index(n) for n in COMPACT_FEATURES]
    np.testing.assert_allclose(feature_values(inputs, COMPACT_FEATURES), reference[:, compact], rtol=0, atol=1e-12)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), size=st.integers(1, 20))
def test_features_computed_by_name_equal_the_full_frame_exactly(planted, seed, size):
    """The algorithm computes only its model's features (build_features(x, names)); research builds them all."""
    names = list(np.random.default_rng(seed).choice(FEATURE_NAMES, size=size, replace=False))
    inputs = planted.inputs.iloc[:600]
    pd.testing.assert_frame_equal(build_features(inputs, names), build_features(inputs)[names], check_exact=True)
    compact = list(COMPACT_FEATURES)
    pd.testing.assert_frame_equal(build_features(inputs, compact), build_features(inputs)[compact],
                                  check_exact=True)
    with pytest.raises(FeatureError, match="unknown"):
        build_features(inputs, ["qqq_ret_1", "no_such_feature"])


def test_too_little_history_names_what_is_needed(planted, planted_model):
    with pytest.raises(FeatureError, match=r"incomplete \(100 sessions of history; need about \d+"):
        predict_next(planted_model, planted.inputs.iloc[:100])


def test_baseline_prediction_is_the_formula(planted):
    model = train(planted.inputs, "2012-01-01", variant="baseline")
    prediction = predict_next(model, planted.inputs.iloc[:50])
    irx = planted.inputs["irx"].iloc[49]
    assert prediction.leverage == 3.0
    assert prediction.drag == pytest.approx(-(0.0095 + 2 * irx / 100) / 252)


def test_mismatched_models_are_rejected(planted, planted_model):
    renamed = dataclasses.replace(planted_model, feature_names=(*planted_model.feature_names[:-1], "made_up"))
    with pytest.raises(ModelMismatchError, match=r"features this code does not compute: \['made_up'\]"):
        predict_next(renamed, planted.inputs)
    wrong_network = dataclasses.replace(planted_model, network=build_compact(3, 10))
    with pytest.raises(ModelMismatchError, match=r"input shape \(None, 10, 3\) does not match"):
        predict_frame(wrong_network, planted.inputs)
    no_scaler = dataclasses.replace(planted_model, scaler=None)
    with pytest.raises(ModelMismatchError, match="lacks its network or scaler"):
        predict_next(no_scaler, planted.inputs)
