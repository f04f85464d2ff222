"""The synthetic ``mag7`` scenario (qclocal.data.synthetic): same features, and the planted effect recovered.

The scenario plants ``s = sum_k g_k clip(z_k) + g_trend (1[close > SMA200] - 1/2)`` into the next day's return,
from the same four z-scored features (its PSAR is the source's loop). Measured at its committed strength
(seed 7, 2012-2020), the planted signal itself scores a mean monthly IC against the realised 21-day returns of only
~0.09 (t ~ 1.6 over 54 month starts), because MACD and PSAR distance turn over within the 21-day label window. No
model can clear a no-skill bound at that strength, so the slow test scales the scenario's loadings by 4 (its own
generative process, stronger), where the planted signal scores ~0.24.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from models.mag7_lstm.evaluation import forward_returns, information_coefficients, ranking_summary
from models.mag7_lstm.features import compute_features, raw_features, sma, source_parabolic_sar
from models.mag7_lstm.schedule import month_starts
from models.mag7_lstm.signals import lstm_score_panel
from models.mag7_lstm.training import train

synthetic = pytest.importorskip("qclocal.data.synthetic")
scenario = pytest.importorskip("qclocal.data.synthetic.mag7")
features_module = pytest.importorskip("qclocal.data.synthetic.mag7_features")

UNIVERSE = ("AAPL", "MSFT", "GOOGL", "AMZN", "META", "TSLA", "NVDA", "AMD")


def _adjusted(equity) -> pd.DataFrame:
    """Split-adjusted OHLC, as LEAN's history() returns them (a split of ratio r divides earlier prices by r)."""
    bars = equity.bars[["open", "high", "low", "close"]].astype(float).copy()
    for day, ratio in equity.splits:
        bars.loc[bars.index < pd.Timestamp(day)] /= ratio
    return bars


@pytest.fixture(scope="module")
def market():
    return synthetic.simulate("mag7", seed=7, start="2012-01-01", end="2020-12-31")


def test_library_features_are_the_scenarios_features(market):
    bars = {t: _adjusted(market.equities[t]) for t in UNIVERSE}
    n = len(bars["AAPL"])
    online = features_module.OnlineFeatures(n, len(UNIVERSE))
    z = np.full((n, 4, len(UNIVERSE)), np.nan)
    for t in range(n):
        online.update(*(np.array([bars[s][col].iloc[t] for s in UNIVERSE]) for col in ("close", "high", "low")))
        value = online.zscores()
        if value is not None:
            z[t] = value
    assert tuple(features_module.FEATURES) == ("return", "macd_hist", "bb_width", "psar_dist")
    for j, ticker in enumerate(UNIVERSE):
        ours = compute_features(bars[ticker])
        theirs = pd.DataFrame(z[:, :, j], index=bars[ticker].index, columns=list(features_module.FEATURES))
        theirs = theirs.loc[ours.index]
        cols = ["return", "macd_hist", "bb_width"]
        np.testing.assert_allclose(ours[cols].to_numpy(), theirs[cols].to_numpy(), rtol=1e-6, atol=1e-6)
        # PSAR: the scenario uses the source's loop; ours with that loop matches it exactly ...
        raw = raw_features(bars[ticker]).dropna()
        close = bars[ticker]["close"]
        psar = pd.Series(source_parabolic_sar(bars[ticker]["high"], bars[ticker]["low"], close), close.index)
        dist = ((close - psar) / close).loc[raw.index]
        rolling = dist.rolling(252, min_periods=252)
        source_z = ((dist - rolling.mean()) / rolling.std()).loc[ours.index]
        np.testing.assert_allclose(source_z.to_numpy(), theirs["psar_dist"].to_numpy(), rtol=1e-6, atol=1e-6)
        # ... and LEAN's PSAR (our default) tracks it closely
        assert np.corrcoef(ours["psar_dist"], theirs["psar_dist"])[0, 1] > 0.9


@pytest.mark.slow
def test_lstm_recovers_the_planted_effect_at_four_times_the_strength(monkeypatch):
    monkeypatch.setattr(scenario, "LOADINGS", {k: 4 * v for k, v in scenario.LOADINGS.items()})
    monkeypatch.setattr(scenario, "TREND_LOADING", 4 * scenario.TREND_LOADING)
    market = synthetic.simulate("mag7", seed=7, start="2012-01-01", end="2020-12-31")
    bars = {t: _adjusted(market.equities[t]) for t in UNIVERSE}
    days = bars["AAPL"].index
    rebalance = month_starts(days, "2016-07-01", days[-22])
    model = train(bars, rebalance[0] - pd.Timedelta(days=1), epochs=8, validation_days=0, seed=0)
    lstm = lstm_score_panel([model], bars, rebalance)
    closes = pd.DataFrame({t: b["close"] for t, b in bars.items()})
    realised = forward_returns(closes, rebalance)
    # the planted signal, from the truth's loadings and our features
    truth = market.truth
    feats = {t: compute_features(b).clip(-4, 4) for t, b in bars.items()}  # causal: rows < day are as of day
    above = {t: (b["close"] > sma(b["close"])).astype(float) for t, b in bars.items()}
    loadings, trend = truth["loadings"], truth["trend_loading"]
    planted = {}
    for day in rebalance:
        planted[day] = {t: sum(loadings[k] * feats[t].loc[:day - pd.Timedelta(days=1), k].iloc[-1] for k in loadings)
                        + trend * (above[t].loc[:day - pd.Timedelta(days=1)].iloc[-1] - 0.5) for t in bars}
    planted = pd.DataFrame(planted).T
    dates = len(rebalance)
    bound = 3 / math.sqrt(len(UNIVERSE) - 1) / math.sqrt(dates)  # 3 standard errors of the no-skill null
    # recovery: the model ranks names like the planted signal does (no return noise in this comparison)
    assert information_coefficients(lstm, planted).mean() > 2 * bound
    # and it predicts realised returns above the no-skill bound (observed 0.19 against the bound 0.15)
    summary = ranking_summary(lstm, realised)
    assert summary["ic_mean"] > bound and summary["spread_mean"] > 0
