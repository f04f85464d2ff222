"""sector_rotation on the planted `sectors` market: QuantBook data -> library -> research backtest, and the
notebook -> ObjectStore -> qclocal backtest path at small settings.

- Planted effect: Ridge, walk-forward with yearly refits, forecasts next month's sector returns with a lower MAE
  than persistence, and its portfolio beats equal weight (mean monthly excess at least 2 standard errors above 0).
- End to end: the notebook trains ridge, tree and LSTM timelines; the algorithm loads, at each month start, the
  newest model cut off before it, and its weights equal the library's weights computed in research with the same
  model from QuantBook data (so the algorithm's features are research's features); the research backtest of
  those weights reproduces qclocal's equity (market-on-close fills, IB fees); the ensemble runs; a missing model
  stops the backtest with the command that trains one.
"""

from __future__ import annotations

import ast
import re
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from conftest_workspace import make_workspace
from models import sector_rotation as sr
from models.lean_history import wide

from qclocal.backtest import backtest
from qclocal.data.synthetic import generate
from qclocal.engine.custom_data import Fred
from qclocal.engine.enums import Resolution
from qclocal.object_store import ObjectStore
from qclocal.research import QuantBook, run_notebook

TICKERS = sr.assets("spdr")
SERIES = sr.fred_series("sectors")
SMALL = {"variants": "ridge,tree,lstm", "tree_grid": "fixed", "lstm_size": "tiny", "lstm_epochs": "3",
         "lstm_seeds": "0", "data_start": "2010-01-01", "first_cutoff": "2020-01-01"}
WINDOW = {"start": "2020-01-01", "end": "2020-06-30"}
COMMAND = "qclocal research research/sector_rotation.ipynb --parameter variants ridge"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = make_workspace(tmp_path_factory.mktemp("sectors"), "sector_rotation")
    generate("sectors", root / "data", seed=7, start="2000-01-01", end="2020-12-31", progress=False)
    return root


@pytest.fixture(scope="module")
def market(workspace):
    """Research's view of the market: closes and release-dated FRED values through QuantBook."""
    qb = QuantBook(data_folder=workspace / "data", object_store=workspace / "unused-store")
    equities = [qb.add_equity(t, Resolution.DAILY).symbol for t in TICKERS]
    macro = [qb.add_data(Fred, s, Resolution.DAILY).symbol for s in SERIES]
    closes = wide(qb.history(equities, datetime(2000, 1, 1), datetime(2021, 1, 1), Resolution.DAILY), "close",
                  tickers=TICKERS)
    fred = wide(qb.history(macro, datetime(2000, 1, 1), datetime(2021, 1, 1), Resolution.DAILY), "value",
                tickers=SERIES)
    return closes, fred


@pytest.fixture(scope="module")
def trained(workspace):
    run_notebook(workspace / "research" / "sector_rotation.ipynb", SMALL, echo=lambda *_: None)
    return workspace / "storage"


def _panel(closes, fred, start="2001-01-01"):
    dates = sr.month_starts(closes.index)
    dates = dates[dates >= pd.Timestamp(start)]
    return sr.make_panel(sr.macro_features(fred, dates), closes, TICKERS)


def test_planted_ridge_beats_persistence_and_its_portfolio_beats_equal_weight(market):
    closes, fred = market
    panel = _panel(closes, fred)
    cutoffs = [d.date() for d in pd.date_range("2009-01-01", "2020-01-01", freq="YS")]
    test = panel.dates[panel.dates >= pd.Timestamp("2009-01-01")]
    ridge = sr.predictions(sr.train_timeline("ridge", panel, cutoffs, progress=False), panel, test)
    mae = sr.mae_table({"ridge": ridge, **sr.baseline_forecasts(closes, panel.dates)}, panel.labels, test)
    assert mae.loc["ridge", "mae"] < 0.8 * mae.loc["persistence", "mae"]
    model = sr.backtest(sr.allocate_panel(ridge), closes)
    equal = sr.backtest(pd.DataFrame(1 / len(TICKERS), index=test, columns=TICKERS), closes)
    excess = (model.monthly - equal.monthly).dropna()
    assert len(excess) >= 140
    assert excess.mean() > 2 * excess.std() / np.sqrt(len(excess))


_LINE = re.compile(r"REBALANCE (\d{4}-\d\d-\d\d) family=(\w+) (.*?) forecast=(\{.*?\}) weights=(\{.*?\})$", re.M)


def _rebalances(out) -> list[tuple[date, str, dict[str, float]]]:
    log = (out / "log.txt").read_text()
    return [(date.fromisoformat(m[1]), m[3], ast.literal_eval(m[5])) for m in _LINE.finditer(log)]


def test_algorithm_uses_as_of_models_and_research_weights_and_fills_as_research(workspace, trained, market):
    result, out = backtest(workspace / "algorithms" / "sector_rotation", {**WINDOW, "family": "ridge"},
                           show_progress=False)
    assert result.status == "Completed", result.error
    rows = _rebalances(out)
    assert [d.month for d, _, _ in rows] == [1, 2, 3, 4, 5, 6]
    closes, fred = market
    panel = _panel(closes, fred, "2010-01-01")
    timeline = sr.model_timeline(ObjectStore(trained), "ridge", log=lambda _: None)
    research = {}
    for day, source, weights in rows:
        loaded = timeline.as_of(day)
        assert loaded.cutoff < day and source == f"ridge cutoff {loaded.cutoff}"
        forecaster, assets = sr.forecaster_of(loaded)
        stamp = pd.Timestamp(day)
        expected = sr.allocate(pd.Series(forecaster.forecast_last(panel.features.loc[:stamp],
                                                                  loaded.feature_names), index=assets))
        np.testing.assert_allclose([weights[t] for t in TICKERS], expected[TICKERS].to_numpy(), atol=1e-5)
        assert sum(weights.values()) == pytest.approx(1.0, abs=1e-4)
        research[stamp] = expected
    replay = sr.backtest(pd.DataFrame(research).T, closes, end=pd.Timestamp(WINDOW["end"]))
    equity = result.charts["Equity vs SPY"]["Sector rotation"]
    final = equity[-1]["y"]
    assert final == pytest.approx(replay.equity.iloc[-1], rel=2e-3)  # 0.17% apart here; 0.001% on real data
    assert result.statistics["Total Fees"].startswith("$")


def test_ensemble_runs_and_a_missing_model_names_the_training_command(workspace, trained, tmp_path):
    result, out = backtest(workspace / "algorithms" / "sector_rotation",
                           {"start": "2020-02-01", "end": "2020-03-31", "family": "ensemble"}, show_progress=False)
    assert result.status == "Completed", result.error
    sources = [s for _, s, _ in _rebalances(out)]
    assert sources and all("ridge cutoff" in s and "tree cutoff" in s and "lstm cutoff" in s for s in sources)
    missing, _ = backtest(workspace / "algorithms" / "sector_rotation", {**WINDOW, "family": "ridge"},
                          object_store=tmp_path / "empty", show_progress=False)
    assert missing.status == "RuntimeError"
    assert "ModelNotFoundError" in missing.error and COMMAND in missing.error
