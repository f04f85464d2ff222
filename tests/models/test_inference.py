"""models.inference: the numpy forward pass equals Keras' predict on every strategy's real architecture."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from models.inference import NumpyModel, UnsupportedLayerError, load_keras  # noqa: E402
from models.mag7_lstm.model import build_network  # noqa: E402
from models.pairs_reversion.model import build_classifier  # noqa: E402
from models.sector_rotation.model import build_lstm  # noqa: E402
from models.store import ModelTimeline, save_model  # noqa: E402
from models.tqqq_leverage import numpy_layers  # noqa: E402,F401 - registers the custom layers
from models.tqqq_leverage.networks import average_members, build_compact, build_reference  # noqa: E402

LIBRARY = Path(__file__).resolve().parents[2] / "Library"


def _randomised(model, seed: int = 0):
    """Trained-looking weights: the initial weights plus noise, so no bias, gamma or zero-initialised head is a
    no-op. (Much larger weights make a 60-step LSTM chaotic, and float32 rounding alone then moves its output.)"""
    rng = np.random.default_rng(seed)
    weights = []
    for variable, value in zip(model.weights, model.get_weights(), strict=True):
        value = value + rng.normal(0, 0.1, value.shape)
        if "variance" in variable.path:
            value = np.abs(value) + 0.5
        weights.append(value.astype("float32"))
    model.set_weights(weights)
    return model


def _trained_members(count: int):
    """Members as training leaves them: compiled and fitted, so each carries optimizer state in the file."""
    members = []
    for seed in range(count):
        member = build_compact(14, seed=seed, name=f"m{seed}")
        member.compile(optimizer="adam", loss="mse")
        member.fit(np.zeros((4, 10, 14)), np.zeros((4, 2)), epochs=1, verbose=0)
        members.append(member)
    return average_members(members)


ARCHITECTURES = {
    "tqqq compact": lambda: build_compact(14, seed=1),
    "tqqq compact tiny, last row only": lambda: build_compact(14, size="tiny", window_path=False, seed=1),
    "tqqq compact 5-seed ensemble": lambda: average_members([build_compact(14, seed=s, name=f"m{s}") for s in range(5)]),
    "tqqq compact ensemble of fitted members": lambda: _trained_members(2),
    "tqqq reference (attention, BiLSTM, BatchNorm)": lambda: build_reference(14, size="tiny", seed=1),
    "mag7 small": lambda: build_network("small"),
    "mag7 source": lambda: build_network("source"),
    "sector_rotation small": lambda: build_lstm(9, 12, "small"),
    "sector_rotation tiny": lambda: build_lstm(9, 12, "tiny"),
    "pairs_reversion": lambda: build_classifier(20, 7),
    "pairs_reversion 2 layers": lambda: build_classifier(20, 7, hidden=8, layers=2),
    "GRU and LayerNorm": lambda: keras.Sequential([keras.Input((6, 3)), keras.layers.GRU(5, return_sequences=True),
                                                   keras.layers.LayerNormalization(), keras.layers.GRU(4),
                                                   keras.layers.Dense(2, activation="tanh")]),
}


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_numpy_forward_pass_equals_keras_predict(name, tmp_path):
    model = _randomised(ARCHITECTURES[name]())
    path = tmp_path / "model.keras"
    model.save(path)
    fast = load_keras(path)
    x = np.random.default_rng(1).normal(size=(7, *model.input_shape[1:])).astype("float32")
    expected = model.predict(x, verbose=0)
    got = fast(x, training=False)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    assert fast.input_shape == tuple(model.input_shape) and fast.output_shape == tuple(model.output_shape)
    assert fast.count_params() == model.count_params()
    np.testing.assert_allclose(fast(x[:1]), expected[:1], rtol=1e-6, atol=1e-6)  # batch of one: the algorithms


def test_unsupported_layers_and_options_are_errors_naming_them(tmp_path):
    conv = keras.Sequential([keras.Input((8, 2)), keras.layers.Conv1D(3, 2), keras.layers.Flatten(),
                             keras.layers.Dense(1)])
    conv.save(tmp_path / "conv.keras")
    with pytest.raises(UnsupportedLayerError, match="Conv1D has no numpy forward pass"):
        load_keras(tmp_path / "conv.keras")
    gelu = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="gelu")])
    gelu.save(tmp_path / "gelu.keras")
    with pytest.raises(UnsupportedLayerError, match="activation 'gelu'"):
        load_keras(tmp_path / "gelu.keras")
    with pytest.raises(UnsupportedLayerError, match="not a Keras 3 .keras archive"):
        load_keras(b"not a zip")


def test_a_custom_layer_without_a_numpy_builder_is_an_error(tmp_path):
    @keras.saving.register_keras_serializable(package="inference_test")
    class Doubler(keras.layers.Layer):
        def call(self, inputs):
            return 2 * inputs

    model = keras.Sequential([keras.Input((3,)), Doubler(), keras.layers.Dense(1)])
    model.save(tmp_path / "custom.keras")
    with pytest.raises(UnsupportedLayerError, match=r"register_layer\('inference_test>Doubler'\)"):
        load_keras(tmp_path / "custom.keras")


def _store(tmp_path):
    from qclocal.object_store import ObjectStore

    return ObjectStore(tmp_path / "storage")


def test_the_store_loads_numpy_models_for_algorithms_and_keras_for_research(tmp_path):
    store = _store(tmp_path)
    network = _randomised(build_network("small"))
    save_model(store, "inference_demo", date(2020, 1, 1), {"net": network}, feature_names=["a"],
               train_window=(date(2019, 1, 1), date(2019, 12, 31)), validation_window=None, hyperparameters={},
               metrics={})
    fast = ModelTimeline(store, "inference_demo", inference="numpy", log=lambda _: None).as_of(date(2020, 6, 1))
    slow = ModelTimeline(store, "inference_demo", log=lambda _: None).as_of(date(2020, 6, 1))
    assert isinstance(fast["net"], NumpyModel) and isinstance(slow["net"], keras.Model)
    x = np.random.default_rng(2).normal(size=(3, 60, 4)).astype("float32")
    np.testing.assert_allclose(fast["net"](x), slow["net"].predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="inference must be one of"):
        ModelTimeline(store, "inference_demo", inference="fast")


def test_auto_falls_back_to_keras_for_an_unsupported_layer_and_numpy_refuses(tmp_path):
    store = _store(tmp_path)
    conv = keras.Sequential([keras.Input((8, 2)), keras.layers.Conv1D(3, 2), keras.layers.Flatten(),
                             keras.layers.Dense(1)])
    save_model(store, "inference_conv", date(2020, 1, 1), {"net": conv}, feature_names=["a"],
               train_window=(date(2019, 1, 1), date(2019, 12, 31)), validation_window=None, hyperparameters={},
               metrics={})
    logged: list[str] = []
    auto = ModelTimeline(store, "inference_conv", inference="auto", log=logged.append).as_of(date(2020, 6, 1))
    assert isinstance(auto["net"], keras.Model)
    assert any("runs through Keras" in line and "Conv1D" in line for line in logged)
    with pytest.raises(Exception, match="Conv1D has no numpy forward pass"):
        ModelTimeline(store, "inference_conv", inference="numpy", log=lambda _: None).as_of(date(2020, 6, 1))


def test_loading_and_calling_a_numpy_model_never_imports_tensorflow(tmp_path):
    _randomised(average_members([build_compact(14, seed=s, name=f"m{s}") for s in range(2)])).save(
        tmp_path / "m.keras")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import numpy as np; "
            "from models.tqqq_leverage import persistence; from models.inference import load_keras; "
            "m = load_keras(sys.argv[2]); m(np.zeros((1, 10, 14))); "
            "print(sorted(k for k in ('tensorflow', 'keras') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(LIBRARY), str(tmp_path / "m.keras")], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"
