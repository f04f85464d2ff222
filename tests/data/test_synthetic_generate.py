"""Synthetic markets: determinism, prefix stability, the shared market, LEAN layout, bad parameters, plausibility."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qclocal.data import lean_format
from qclocal.data.synthetic import SCENARIOS, VERSION, generate, simulate, truth_path
from qclocal.data.synthetic import reversal as reversal_scenario
from qclocal.data.synthetic.core import sessions
from qclocal.data.synthetic.output import write_market

SHORT = {"start": "2019-01-01", "end": "2020-04-30"}      # 335 sessions: just above the minimum


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# The full 300-stock reversal universe takes several seconds to write twice: it runs with the slow tests, and a
# 25-stock universe through the same code checks it by default.
@pytest.mark.parametrize("scenario", [pytest.param(s, marks=pytest.mark.slow) if s == "reversal" else s
                                      for s in sorted(SCENARIOS)])
def test_same_seed_gives_identical_bytes(scenario, tmp_path):
    first = generate(scenario, tmp_path / "a", seed=11, progress=False, **SHORT)
    second = generate(scenario, tmp_path / "b", seed=11, progress=False, **SHORT)
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []
    assert first == second == json.loads(truth_path(tmp_path / "a", scenario).read_text())
    assert (first["scenario"], first["seed"], first["version"]) == (scenario, 11, VERSION)
    assert f"synthetic/{scenario}/truth.json" in a
    # Every scenario writes LEAN's benchmark and risk-free file.
    assert "equity/usa/daily/spy.zip" in a and "equity/usa/factor_files/spy.csv" in a
    assert "alternative/interest-rate/usa/interest-rate.csv" in a
    for ticker in first["tickers"]["equity"]:
        assert f"equity/usa/daily/{ticker.lower()}.zip" in a
        assert f"equity/usa/map_files/{ticker.lower()}.csv" in a


def test_small_reversal_universe_gives_identical_bytes(tmp_path):
    index = sessions(SHORT["start"], SHORT["end"])
    for name in ("a", "b"):
        write_market(tmp_path / name, "reversal", reversal_scenario.simulate(index, 11, n_stocks=25))
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert a == b
    assert sum(k.startswith("equity/usa/fundamental/coarse/") for k in a) == len(index)


def test_another_seed_gives_other_data(tmp_path):
    generate("pairs", tmp_path / "a", seed=1, progress=False, **SHORT)
    generate("pairs", tmp_path / "b", seed=2, progress=False, **SHORT)
    for ticker in ("spy", "eem", "iemg"):
        a = lean_format.read_bars(tmp_path / "a", "equity", ticker, "daily", pd.Timestamp(2019, 1, 1),
                                  pd.Timestamp(2020, 5, 1))
        b = lean_format.read_bars(tmp_path / "b", "equity", ticker, "daily", pd.Timestamp(2019, 1, 1),
                                  pd.Timestamp(2020, 5, 1))
        assert a.index.equals(b.index)
        assert not np.allclose(a["close"], b["close"])


def _frames(market) -> dict[str, pd.DataFrame]:
    out = {f"eq:{t}": e.bars for t, e in market.equities.items()}
    out.update({f"ix:{t}": b for t, b in market.indexes.items()})
    out["rates"] = market.rates_percent.to_frame()
    out.update({f"fred:{k}": s.values.to_frame() for k, s in market.fred.items()})
    return out


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_later_end_leaves_earlier_sessions_unchanged(scenario):
    short = simulate(scenario, seed=3, start="2016-01-01", end="2017-06-30")
    long = simulate(scenario, seed=3, start="2016-01-01", end="2018-03-31")
    a, b = _frames(short), _frames(long)
    assert a.keys() == b.keys()
    for key, frame in a.items():
        common = frame.index[frame.index <= pd.Timestamp("2017-06-30")]
        if key.startswith("fred:") and scenario == "sectors" and key[5:] == "FEDFUNDS":
            common = common[:-1]              # the last month's average is partial in the shorter run
        pd.testing.assert_frame_equal(frame.loc[common], b[key].loc[common], check_freq=False, obj=key)


def test_scenarios_share_one_market(tmp_path):
    """SPY, VIX and rates are the same in every scenario, so scenarios can share one data folder."""
    generate("pairs", tmp_path, seed=5, progress=False, **SHORT)
    before = tree(tmp_path)
    generate("leveraged-etf", tmp_path, seed=5, progress=False, **SHORT)
    generate("mag7", tmp_path, seed=5, progress=False, **SHORT)
    after = tree(tmp_path)
    for shared in ("equity/usa/daily/spy.zip", "index/usa/daily/vix.zip", "alternative/fred/dtb3.csv",
                   "alternative/interest-rate/usa/interest-rate.csv"):
        assert before[shared] == after[shared], shared
    lev, m7 = simulate("leveraged-etf", seed=5, **SHORT), simulate("mag7", seed=5, **SHORT)
    pd.testing.assert_frame_equal(lev.equities["QQQ"].bars, m7.equities["QQQ"].bars)
    # SPY and QQQ are anchored at the same prices whatever the requested start.
    later = simulate("pairs", seed=5, start="2019-06-03", end="2020-12-31")
    spy = simulate("pairs", seed=5, **SHORT).equities["SPY"].bars
    pd.testing.assert_series_equal(later.equities["SPY"].bars["close"].loc[:"2020-04-30"],
                                   spy["close"].loc["2019-06-03":])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"scenario": "nope"}, "unknown scenario 'nope'"),
    ({"seed": -1}, "seed must be a non-negative integer"),
    ({"seed": 1.5}, "seed must be a non-negative integer"),
    ({"start": "2020-02-01", "end": "2020-01-01"}, "before start"),
    ({"start": "2020-01-01", "end": "2020-06-30"}, "needs at least 300"),
    ({"start": "not a date"}, "start must be a date"),
    ({"start": "1960-01-01", "end": "1965-01-01"}, "1970-01-02 at the earliest"),
])
def test_bad_parameters_raise_clear_errors(kwargs, message, tmp_path):
    args = {"scenario": "pairs", "seed": 7, "start": "2012-01-01", "end": "2013-12-31", **kwargs}
    with pytest.raises(ValueError, match=message):
        generate(args.pop("scenario"), tmp_path, progress=False, **args)
    assert not any(tmp_path.iterdir())


def test_registry_describes_five_scenarios():
    assert sorted(SCENARIOS) == ["leveraged-etf", "mag7", "pairs", "reversal", "sectors"]
    assert all(len(text) > 30 for text in SCENARIOS.values())


def test_sessions_are_nyse_trading_days():
    market = simulate("pairs", seed=7, start="2012-01-01", end="2013-12-31")
    days = market.equities["SPY"].bars.index
    assert len(days) == 250 + 252
    assert pd.Timestamp("2012-10-29") not in days and pd.Timestamp("2012-10-30") not in days   # Sandy
    assert pd.Timestamp("2012-12-25") not in days and pd.Timestamp("2013-07-04") not in days
    assert (days.dayofweek < 5).all()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_bars_are_plausible(scenario):
    market = simulate(scenario, seed=7, start="2012-01-01", end="2016-12-31")
    for ticker, equity in market.equities.items():
        bars = equity.bars
        assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all(), ticker
        assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all(), ticker
        assert (bars["low"] > 0).all() and (bars["volume"] >= 100).all(), ticker
        assert (bars["close"] * bars["volume"]).median() > 1e6, ticker
        tick = np.where(bars["close"] >= 1, 0.01, 0.0001)             # cents, 1/10000 dollar below $1
        assert np.allclose(bars["close"] / tick, np.round(bars["close"] / tick)), ticker
    spy = np.log(market.equities["SPY"].bars["close"]).diff().dropna()
    assert 0.08 < spy.std() * np.sqrt(252) < 0.30
    if "VIX" in market.indexes:
        vix = market.indexes["VIX"]["close"]
        assert 9 <= vix.min() and vix.max() <= 85 and 12 < vix.median() < 25
    rates = market.rates_percent
    assert 0 < rates.min() and rates.max() < 10


def test_coarse_files_list_the_universe_with_dollar_volume(tmp_path):
    index = sessions("2015-01-01", "2016-06-30")
    market = reversal_scenario.simulate(index, 7, n_stocks=12)
    write_market(tmp_path, "reversal", market)
    days = lean_format.coarse_dates(tmp_path)
    assert len(days) == len(index)
    frame = lean_format.read_coarse(tmp_path, days[100])
    assert sorted(frame["ticker"]) == reversal_scenario.tickers(12)          # SPY is not in the stock universe
    bars = {t: market.equities[t].bars.loc[pd.Timestamp(days[100])] for t in frame["ticker"]}
    expected = np.array([bars[t]["close"] * bars[t]["volume"] for t in frame["ticker"]])
    np.testing.assert_allclose(frame["dollar_volume"], expected, rtol=1e-9, atol=1)
    assert frame["has_fundamental_data"].all()
