"""mag7_lstm seed ensembles: the default, the mean of the members, ties, the per-seed IC, and old stores."""

from __future__ import annotations

import inspect
import json
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
from models.mag7_lstm import report
from models.mag7_lstm.evaluation import member_score_panels, seed_ic_table, validation_ic
from models.mag7_lstm.persistence import load_as_of
from models.mag7_lstm.training import SEEDS, TrainedModel, tied_share, train, train_walk_forward
from models.store import save_model

from qclocal.object_store import ObjectStore


def test_the_default_model_is_an_ensemble_of_at_least_five_seeds(tiny_model):
    assert SEEDS >= 5
    for entry in (train, train_walk_forward, report.run_report):
        assert inspect.signature(entry).parameters["seeds"].default == SEEDS
    assert len(tiny_model.networks) == 2 and tiny_model.hyperparameters["member_seeds"] == [1, 2]


def test_the_score_is_the_mean_of_the_members_and_each_member_stands_alone(tiny_model):
    X = np.random.default_rng(0).standard_normal((12, 60, 4)).astype(np.float32)
    members = tiny_model.member_predictions(X)
    assert members.shape == (2, 12) and not np.allclose(members[0], members[1])  # two seeds, two networks
    np.testing.assert_allclose(tiny_model.predict(X), members.mean(axis=0))
    for k in range(2):
        alone = tiny_model.member(k)
        assert len(alone.networks) == 1 and alone.member_seeds == [k + 1] and alone.cutoff == tiny_model.cutoff
        np.testing.assert_allclose(alone.predict(X), members[k])
    assert len(tiny_model.metrics["member_validation_ic_by_date"]) == 2
    assert len(tiny_model.metrics["member_tied_share"]) == 2


def _half_dead(feature: int) -> object:
    """A network whose output is relu(last value of ``feature``): one constant (0) for half of the inputs, as a
    dead ReLU unit gives."""
    import keras

    net = keras.Sequential([keras.Input(shape=(60, 4)), keras.layers.Flatten(),
                            keras.layers.Dense(1, activation="relu"), keras.layers.Dense(1)])
    kernel = np.zeros((240, 1), np.float32)
    kernel[59 * 4 + feature] = 1.0
    net.layers[1].set_weights([kernel, np.zeros(1, np.float32)])
    net.layers[2].set_weights([np.ones((1, 1), np.float32), np.zeros(1, np.float32)])
    return net


def test_ensembling_reduces_tied_scores(tiny_model):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 60, 4)).astype(np.float32)
    dates = np.repeat(np.arange(50), 8)  # 50 dates x 8 names
    ensemble = replace(tiny_model, networks=tuple(_half_dead(f) for f in range(3)))
    member_ties = [tied_share(p, dates) for p in ensemble.member_predictions(X)]
    together = tied_share(ensemble.predict(X), dates)
    assert min(member_ties) > 0.4  # each member scores about half the names 0
    assert together < 0.1 < min(member_ties) / 4  # names tie only where every member is dead


def test_per_seed_ic_on_validation_and_as_of_panels(tiny_model, tiny_market):
    ic = validation_ic([tiny_model], tiny_market)
    assert list(ic.columns) == ["ensemble", "seed_1", "seed_2"]
    days = tiny_market["AAA"].index
    assert len(ic) == len(range(0, 63, 5))  # a date is a window's last bar: its label starts on the next bar
    assert (days[days.searchsorted(ic.index) + 1] >= pd.Timestamp(tiny_model.cutoff)).all()
    assert ic.abs().le(1).all().all()
    # purged: no validation label may end after `until`
    assert validation_ic([tiny_model], tiny_market, until=tiny_model.cutoff).empty
    table = seed_ic_table(ic, lags=4)
    assert list(table.index) == ["ensemble", "seed_1", "seed_2", "seed mean"]
    assert table.loc["seed mean", "ic_mean"] == pytest.approx(ic[["seed_1", "seed_2"]].mean(axis=1).mean())
    dates = days[days > pd.Timestamp(tiny_model.cutoff)][[3, 25]]
    panels = member_score_panels([tiny_model], tiny_market, dates)
    assert set(panels) == {"ensemble", "seed_1", "seed_2"}
    pd.testing.assert_frame_equal(panels["ensemble"], (panels["seed_1"] + panels["seed_2"]) / 2, rtol=1e-5)


def test_a_model_saved_before_ensembles_loads_as_one_member(tmp_path, tiny_model, tiny_market):
    store = ObjectStore(tmp_path)
    save_model(store, "mag7_lstm", tiny_model.cutoff, {"model": tiny_model.networks[0]},
               feature_names=list(tiny_model.feature_names), train_window=tiny_model.train_window,
               validation_window=tiny_model.validation_window, hyperparameters={"arch": "small", "lookback": 60},
               metrics={})
    days = tiny_market["AAA"].index
    when = days[days > pd.Timestamp(tiny_model.cutoff)][2]
    loaded = load_as_of(store, when.to_pydatetime(), log=lambda _: None)
    assert isinstance(loaded, TrainedModel) and len(loaded.networks) == 1
    X = np.zeros((3, 60, 4), np.float32)
    np.testing.assert_allclose(loaded.predict(X), tiny_model.member(0).predict(X), rtol=1e-6)
    manifest = json.loads(store.read(f"mag7_lstm/{tiny_model.cutoff}/manifest.json"))
    assert set(manifest["artifacts"]) == {"model"} and loaded.cutoff == date.fromisoformat(manifest["cutoff"])


def test_the_report_says_plainly_whether_the_ranker_has_skill():
    ic = pd.DataFrame({"ensemble": [0.1, 0.3, 0.2, 0.25] * 6, "seed_0": [0.1, -0.1, 0.2, -0.2] * 6,
                       "seed_1": [0.2, 0.3, 0.1, 0.2] * 6})
    skilled = report.skill_statement(seed_ic_table(ic, 1), "validation")
    assert skilled.startswith("the ranker shows skill on validation: ensemble IC +0.212")
    none = report.skill_statement(seed_ic_table(ic.assign(ensemble=ic["seed_0"]), 1), "the test period")
    assert none.startswith("the ranker shows no skill on the test period: ensemble IC +0.000")
