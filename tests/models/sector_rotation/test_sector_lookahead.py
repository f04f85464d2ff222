"""No look-ahead: changing FRED values published after t, or prices from t's close on (a decision at t is made
before its close), never changes a weight at or before t, for every family. The model deciding at t is cut off
the day before t, so its last unpurged label would end at t's close: the one-month purge is what keeps the
weight at t unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models import sector_rotation as sr

ASSETS = ["AAA", "BBB", "SPY"]
T = pd.Timestamp("2019-06-03")


def _market(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2010-01-01", "2020-12-31")
    closes = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(days), 3)), axis=0)), index=days,
                          columns=ASSETS)
    visible = pd.date_range("2009-01-18", "2020-12-31", freq="MS") + pd.Timedelta(days=17)
    fred = pd.DataFrame({"INDPRO": 100 + np.cumsum(rng.normal(0, 1, len(visible))),
                         "UNRATE": 5 + np.cumsum(rng.normal(0, 0.1, len(visible)))}, index=visible)
    return closes, fred


def _decisions(closes, fred, family) -> pd.DataFrame:
    dates = sr.month_starts(closes.index)
    panel = sr.make_panel(sr.macro_features(fred, dates), closes, ASSETS)
    cutoffs = [(T - pd.Timedelta(days=1)).date()]
    models = sr.train_timeline(family, panel, cutoffs, progress=False, tree_grid=sr.TREE_GRIDS["fixed"],
                               lstm={"size": "tiny", "epochs": 2, "seeds": (0,)})
    forecasts = sr.predictions(models, panel, panel.dates[panel.dates >= pd.Timestamp("2019-05-01")])
    return sr.allocate_panel(forecasts, threshold=0.002)


@pytest.mark.parametrize("family", ["ridge", "tree", "lstm"])
def test_data_after_t_never_changes_a_weight_at_or_before_t(family):
    closes, fred = _market()
    before = _decisions(closes, fred, family)
    rng = np.random.default_rng(99)
    changed_fred = fred.copy()
    later = changed_fred.index > T
    changed_fred.loc[later] = changed_fred.loc[later] * rng.uniform(0.5, 1.5, changed_fred.loc[later].shape)
    changed_closes = closes.copy()
    changed_closes.loc[changed_closes.index >= T] *= rng.uniform(0.8, 1.2, changed_closes.loc[
        changed_closes.index >= T].shape)
    after = _decisions(changed_closes, changed_fred, family)
    assert before.loc[T].notna().all()
    pd.testing.assert_frame_equal(before.loc[:T], after.loc[:T])
    assert not before.loc[T + pd.Timedelta(days=1):].equals(after.loc[T + pd.Timedelta(days=1):])
