"""The reference network is the source's architecture; the compact one starts at the baseline; the loss terms
match their definitions; custom objects survive a .keras round trip."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from models.tqqq_leverage.model import (
    RETURN_UNIT,
    LeverageDragHead,
    OutputScaling,
    TQQQFocusedLoss,
    TrackingLoss,
    average_members,
    build_compact,
    build_reference,
    reference_dims,
    tqqq_focused_loss,
)


def _layer(model, name):
    return model.get_layer(name)


def test_full_reference_network_has_the_source_layers():
    model = build_reference(89, 10, "full")
    assert model.input_shape == (None, 10, 89) and model.output_shape == (None, 1)
    assert _layer(model, "dense_in").units == 384
    assert isinstance(_layer(model, "norm_in"), keras.layers.LayerNormalization)
    attention_1, attention_2 = _layer(model, "attention_1"), _layer(model, "attention_2")
    assert (attention_1.num_heads, attention_1.key_dim) == (16, 64)
    assert (attention_2.num_heads, attention_2.key_dim) == (12, 48)
    bilstm_1, bilstm_2 = _layer(model, "bilstm_1"), _layer(model, "bilstm_2")
    assert bilstm_1.forward_layer.units == 384 and bilstm_1.forward_layer.return_sequences
    assert bilstm_2.forward_layer.units == 256
    assert _layer(model, "lstm_3").units == 192 and not _layer(model, "lstm_3").return_sequences
    assert _layer(model, "dense_1").units == 256 and _layer(model, "dense_2").units == 128
    assert _layer(model, "dense_1").activation.__name__ in ("swish", "silu")  # Keras 3 names swish "silu"
    assert isinstance(_layer(model, "batchnorm_1"), keras.layers.BatchNormalization)
    assert isinstance(_layer(model, "dropout_1"), keras.layers.Dropout)
    assert _layer(model, "leverage_sigmoid").activation.__name__ == "sigmoid"
    scaling = _layer(model, "leverage")
    assert (scaling.low, scaling.high) == (2.990, 3.010)
    assert model.count_params() > 8_000_000
    out = model.predict(np.random.default_rng(0).normal(size=(4, 10, 89)).astype("float32"), verbose=0)
    assert ((out >= 2.990) & (out <= 3.010)).all()


def test_reference_sizes_scale_every_width():
    tiny = reference_dims("tiny")
    assert tiny["dense_in"] == 12 and tiny["heads_1"] == 1 and tiny["lstm_3"] == 6
    assert reference_dims(0.5)["bilstm_2"] == 128
    for bad in ("huge", 0.0, 1.5, True):
        with pytest.raises(ValueError, match="size must be one of"):
            reference_dims(bad)


def test_untrained_compact_model_predicts_the_baseline():
    model = build_compact(14, 10, seed=0)
    out = model.predict(np.random.default_rng(1).normal(size=(6, 10, 14)).astype("float32"), verbose=0)
    np.testing.assert_allclose(out[:, 0], 3.0, atol=1e-6)  # leverage 3
    np.testing.assert_allclose(out[:, 1], 0.0, atol=1e-9)  # no drag beyond the baseline
    with pytest.raises(ValueError, match="n_features must be a positive integer"):
        build_compact(0)


def test_heads_map_onto_their_ranges():
    head = LeverageDragHead(2.5, 3.5, drag_scale=1e-3)
    out = np.asarray(head(np.array([[100.0, 2.0], [-100.0, -1.0]], dtype="float32")))
    np.testing.assert_allclose(out, [[3.5, 0.002], [2.5, -0.001]], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(OutputScaling()(np.array([[0.0], [0.5], [1.0]], dtype="float32"))),
                               [[2.99], [3.0], [3.01]], rtol=1e-7)
    with pytest.raises(ValueError, match="high"):
        OutputScaling(3.0, 2.0)


def _batch(rng, n=20):
    x = rng.normal(0, 0.012, n)
    y = 2.97 * x - 0.0002 + rng.normal(0, 0.001, n)
    y_true = np.column_stack([x, y]).astype("float32")
    y_pred = np.column_stack([rng.uniform(2.85, 3.15, n), rng.normal(0, 0.0005, n)]).astype("float32")
    return x, y, y_true, y_pred


def test_focused_loss_terms_match_their_definitions():
    rng = np.random.default_rng(7)
    x, y, y_true, y_pred = _batch(rng)
    lev, d = y_pred[:, 0].astype(float), y_pred[:, 1].astype(float)
    y_hat = lev * x + d
    u = RETURN_UNIT
    e, e_hat = (y - 3 * x) / u, (y_hat - 3 * x) / u
    ec, ehc = e - e.mean(), e_hat - e_hat.mean()
    expected = {
        "leverage_range": np.mean(np.maximum(2.9 - lev, 0) ** 2 + np.maximum(lev - 3.1, 0) ** 2),
        "return_tracking": np.mean(((y - y_hat) / u) ** 2),
        "volatility": ((y_hat.std() - y.std()) / u) ** 2,
        "correlation": 1 - np.mean(ec * ehc) / np.sqrt(np.mean(ec ** 2) * np.mean(ehc ** 2) + 1e-6),
        "direction": np.mean(np.maximum(-e * e_hat, 0)),
    }
    loss = TQQQFocusedLoss()
    terms = {k: float(v) for k, v in loss.terms(y_true, y_pred).items()}
    for name, value in expected.items():
        assert terms[name] == pytest.approx(value, rel=2e-4, abs=1e-6), name
    assert expected["leverage_range"] > 0  # the batch has leverages outside [2.9, 3.1]
    weights = {"leverage_range": 100, "return_tracking": 60, "volatility": 40, "correlation": 50, "direction": 30}
    total = sum(weights[k] * expected[k] for k in weights)
    assert float(loss(y_true, y_pred)) == pytest.approx(total, rel=2e-4)
    assert float(tqqq_focused_loss(y_true, y_pred)) == pytest.approx(total, rel=2e-4)
    # A leverage-only prediction (the reference network) has no drag: d = 0.
    only = TQQQFocusedLoss(weights={"leverage_range": 0, "volatility": 0, "correlation": 0, "direction": 0})
    value = float(only(y_true, y_pred[:, :1]))
    assert value == pytest.approx(60 * np.mean(((y - lev * x) / u) ** 2), rel=2e-4)


def test_tracking_loss_is_the_scaled_squared_return_error():
    rng = np.random.default_rng(8)
    x, y, y_true, y_pred = _batch(rng)
    expected = np.mean(((y - y_pred[:, 0] * x - y_pred[:, 1]) / RETURN_UNIT) ** 2)
    assert float(TrackingLoss()(y_true, y_pred)) == pytest.approx(expected, rel=1e-4)


def test_models_and_losses_round_trip_through_keras_files(tmp_path):
    members = [build_compact(5, 10, "tiny", seed=s, name=f"m{s}") for s in range(2)]
    for s, member in enumerate(members):  # give the members different, non-trivial weights
        head = member.get_layer("head_raw")
        kernel, bias = head.get_weights()
        head.set_weights([np.full_like(kernel, 0.1 * (s + 1)), bias + s])
    model = average_members(members, name="pair")
    model.compile(optimizer="adam", loss=TQQQFocusedLoss(leverage_range=(2.95, 3.05)))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    batch = np.random.default_rng(2).normal(size=(3, 10, 5)).astype("float32")
    np.testing.assert_allclose(loaded.predict(batch, verbose=0), model.predict(batch, verbose=0), rtol=1e-6)
    expected = np.mean([m.predict(batch, verbose=0) for m in members], axis=0)
    np.testing.assert_allclose(model.predict(batch, verbose=0), expected, rtol=1e-6)
    assert loaded.loss.leverage_range == (2.95, 3.05)
