"""The literature's options for a ranker with little data, on planted data: each must learn the planted effect.

Market (``mag7_planted``): each name has a hidden +-1 trend state that adds +-0.8% a day and flips with probability
1/40 a day. The models are judged as the real-data variants are: on their validation window (labels after the
cutoff, never fitted), by the mean Spearman IC per date and its Newey-West t (4 lags: 21-bar labels every 5
bars). With no skill the t-statistic is about N(0, 1); we require t > 2.5 (one-sided p < 1%) and a mean IC
above 0.15 (the pooled model scores 0.32, t 2.9; the cross-sectional losses more).
"""

from __future__ import annotations

import pytest
from mag7_planted import planted_market
from models.mag7_lstm.training import train


@pytest.fixture(scope="module")
def market():
    bars, _ = planted_market(900, seed=5, drift=0.008, switch=1 / 40)
    return bars, bars["AAPL"].index[650]


def _learned(model) -> None:
    m = model.metrics
    assert m["validation_n"] >= 8 * 30
    assert m["validation_ic_by_date"] > 0.15 and m["validation_ic_t_hac"] > 2.5, m


@pytest.mark.parametrize("loss", ["listnet", "demeaned"])
def test_a_cross_sectional_loss_learns_the_planted_ranking(market, loss):
    bars, cutoff = market
    model = train(bars, cutoff, loss=loss, epochs=6, train_days=None, validation_days=200, seeds=1)
    assert model.hyperparameters["loss"] == loss
    _learned(model)


def test_pooling_a_broader_universe_teaches_names_without_history_of_their_own(market):
    bars, cutoff = market
    pool, _ = planted_market(900, seed=6, drift=0.008, switch=1 / 40, tickers=tuple(f"P{i:02d}" for i in range(16)))
    # the eight names start 300 bars before the cutoff: too few for one training sample of their own
    late = {t: b.iloc[350:] for t, b in bars.items()}
    model = train(late, cutoff, epochs=6, train_days=None, validation_days=200, seeds=1, pool=pool, pool_stride=5)
    assert model.metrics["train_n"] == 0 and model.metrics["fit_n"] > 900
    assert model.hyperparameters["pool_names"] == 16
    _learned(model)
    with pytest.raises(ValueError, match="no training sample"):
        train(late, cutoff, epochs=1, seeds=1)


def test_unknown_loss_is_a_clear_error(market):
    bars, cutoff = market
    with pytest.raises(ValueError, match="loss must be one of"):
        train(bars, cutoff, loss="hinge", seeds=1)
