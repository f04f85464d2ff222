"""mag7_lstm scores (model and rules): 12-1 momentum, as-of model choice, LSTM scores (no look-ahead, LEAN history input)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pytest
from models.lean_history import per_symbol
from models.mag7_lstm.features import compute_features
from models.mag7_lstm.model import lstm_score_panel, lstm_scores, model_as_of
from models.mag7_lstm.rules import momentum_12_1, momentum_panel

DAYS = pd.bdate_range("2019-01-01", periods=300)


def test_momentum_12_1_skips_the_last_month_and_uses_only_earlier_bars():
    closes = pd.DataFrame({"A": 1.01 ** np.arange(300), "B": np.r_[np.full(299, 5.0), 500.0]}, index=DAYS)
    when = DAYS[299]  # the last bar (B's jump) is on the decision day: unseen
    mom = momentum_12_1(closes, when)
    assert mom["A"] == pytest.approx(1.01 ** 231 - 1)  # bars p - 21 and p - 252 with p = 298
    assert mom["B"] == pytest.approx(0.0)
    short = momentum_12_1(closes, DAYS[200])
    assert short.empty  # fewer than 253 bars before the date
    panel = momentum_panel(closes, [DAYS[290], DAYS[299]])
    assert panel.loc[DAYS[299], "A"] == pytest.approx(mom["A"])
    with pytest.raises(ValueError, match="wide DataFrame"):
        momentum_12_1(closes["A"], when)  # type: ignore[arg-type]


@dataclass
class _Stub:
    cutoff: date


def test_model_as_of_takes_the_newest_cutoff_strictly_before():
    models = [_Stub(date(2020, 1, 31)), _Stub(date(2020, 2, 28)), _Stub(date(2020, 3, 31))]
    assert model_as_of(models, "2020-03-02").cutoff == date(2020, 2, 28)
    assert model_as_of(models, pd.Timestamp("2020-02-28 10:00")).cutoff == date(2020, 1, 31)  # same day: no
    assert model_as_of(models, "2020-02-29").cutoff == date(2020, 2, 28)
    with pytest.raises(LookupError, match="no model with a cutoff before 2020-01-31"):
        model_as_of(models, "2020-01-31")


def test_lstm_scores_match_the_panel_and_ignore_bars_from_the_decision_day(tiny_model, tiny_market):
    days = tiny_market["AAA"].index
    when = days[620]
    scores = lstm_scores(tiny_model, tiny_market, when)
    assert list(scores.index) == ["AAA", "BBB", "CCC"] and scores.notna().all()
    panel = lstm_score_panel([tiny_model], tiny_market, [when, days[300]])
    assert list(panel.index) == [when]  # days[300] precedes the only cutoff
    np.testing.assert_allclose(panel.loc[when].to_numpy(), scores.to_numpy(), rtol=1e-5)
    shocked = {t: b.copy() for t, b in tiny_market.items()}
    for frame in shocked.values():
        frame.loc[frame.index >= when, ["open", "high", "low", "close"]] *= 5.0
    pd.testing.assert_series_equal(lstm_scores(tiny_model, shocked, when), scores)
    # a ticker without enough history is left out
    few = {"AAA": tiny_market["AAA"], "NEW": tiny_market["BBB"].iloc[-100:]}
    assert list(lstm_scores(tiny_model, few, when).index) == ["AAA"]
    # the ensemble's score is the mean of its keras networks' scores
    alone = [lstm_scores(net, tiny_market, when).to_numpy() for net in tiny_model.networks]
    np.testing.assert_allclose(np.mean(alone, axis=0), scores.to_numpy(), rtol=1e-5)


def test_features_from_a_lean_history_frame_equal_research_features(tiny_market):
    # LEAN's history(): MultiIndex (symbol, time), time = bar end 16:00, lowercase columns
    frames = []
    for ticker, bars in tiny_market.items():
        frame = bars.copy()
        frame.index = pd.MultiIndex.from_arrays([[ticker] * len(frame), frame.index + pd.Timedelta(hours=16)],
                                                names=["symbol", "time"])
        frames.append(frame)
    history = pd.concat(frames)
    converted = per_symbol(history)
    for ticker, bars in tiny_market.items():
        pd.testing.assert_frame_equal(compute_features(converted[ticker]), compute_features(bars),
                                      check_freq=False, check_names=False)


def test_random_scores_are_a_reproducible_no_skill_ablation():
    from models.mag7_lstm.rules import random_scores

    names = ["AAPL", "MSFT", "NVDA"]
    a = random_scores(names, "2020-03-02", seed=1)
    assert list(a.index) == names and ((a > 0) & (a < 1)).all()  # every name passes the score > 0 test
    pd.testing.assert_series_equal(a, random_scores(names, pd.Timestamp("2020-03-02"), seed=1))
    assert not a.equals(random_scores(names, "2020-04-01", seed=1))
    assert not a.equals(random_scores(names, "2020-03-02", seed=2))
