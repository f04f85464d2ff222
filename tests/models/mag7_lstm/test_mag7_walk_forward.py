"""The research entry points: walk-forward cutoffs for a backtest window, timeline replacement, the study."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from mag7_planted import planted_market, treasury_series
from models.mag7_lstm.evaluation import evaluate
from models.mag7_lstm.persistence import model_timeline, save_timeline
from models.mag7_lstm.training import SIZES, TrainedModel, train_walk_forward, walk_forward_cutoffs

from qclocal.data.calendars import session_dates
from qclocal.object_store import ObjectStore

CALENDAR = pd.DatetimeIndex(session_dates(date(2016, 1, 1), date(2020, 12, 31)))


def test_quarterly_cutoffs_serve_every_rebalance_from_the_first():
    cuts = walk_forward_cutoffs(CALENDAR, "2017-02-01", "2017-12-31", "quarterly")
    # the first rebalance (Feb) gets a model even though it opens no quarter; then Apr, Jul, Oct
    assert cuts == [date(2017, 1, 31), date(2017, 4, 2), date(2017, 7, 2), date(2017, 10, 1)]
    monthly = walk_forward_cutoffs(CALENDAR, "2017-01-01", "2017-06-30", "monthly")
    assert len(monthly) == 6 and monthly[0] == date(2017, 1, 2)      # the day before 2017-01-03
    for cut in monthly:                                               # each the day before a trading day
        assert pd.Timestamp(cut) + pd.Timedelta(days=1) in CALENDAR


def test_train_end_freezes_the_model_and_warmup_adds_earlier_refits():
    frozen = walk_forward_cutoffs(CALENDAR, "2017-01-01", "2020-12-31", "quarterly", train_end="2016-12-31")
    assert frozen == [date(2017, 1, 2)]            # its training bars end 2016-12-30: the only refit
    later = walk_forward_cutoffs(CALENDAR, "2017-01-01", "2020-12-31", "monthly", train_end="2017-03-15")
    assert later == [date(2017, 1, 2), date(2017, 1, 31), date(2017, 2, 28)]
    warm = walk_forward_cutoffs(CALENDAR, "2017-01-01", "2017-06-30", "quarterly", warmup_start="2016-01-01")
    assert warm[:4] == [date(2016, 1, 3), date(2016, 3, 31), date(2016, 6, 30), date(2016, 10, 2)]
    assert warm[-2:] == [date(2017, 1, 2), date(2017, 4, 2)]
    with pytest.raises(ValueError, match="refit"):
        walk_forward_cutoffs(CALENDAR, "2017-01-01", "2017-06-30", "weekly")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no month-start"):
        walk_forward_cutoffs(CALENDAR, "2030-01-01", "2030-06-30")
    with pytest.raises(ValueError, match="size"):
        train_walk_forward({"AAA": pd.DataFrame()}, "2017-01-01", "2017-06-30", size="huge")
    assert set(SIZES) == {"tiny", "small", "source"}


class _Stub:
    """A 'model' scoring each window by its last MACD-histogram z-score (no Keras)."""

    def __init__(self, cutoff: date) -> None:
        self.cutoff = cutoff
        self.feature_names = ("return", "macd_hist", "bb_width", "psar_dist")
        self.networks = ()

    def predict(self, X: np.ndarray) -> np.ndarray:
        return X[:, -1, 1].astype(float)


def test_study_scores_each_date_with_its_as_of_model_and_runs_the_baselines():
    bars, _ = planted_market(1300, seed=3)
    days = bars["AAPL"].index
    start, end = days[900], days[-1]
    models = [_Stub(days[880].date()), _Stub(days[1000].date())]
    qqq = bars["AAPL"]
    study = evaluate(models, bars, start=start, end=end, qqq=qqq, bil=treasury_series(days))
    assert study.rebalance[0] >= start and len(study.rebalance) >= 18
    assert set(study.results) == {"lstm", "momentum", "qqq", "equal_weight"}
    assert list(study.ranking.index) == ["lstm", "momentum"] and list(study.ic.columns) == ["lstm", "momentum"]
    # scored dates have a complete 21-bar window; the last month start may not
    assert study.scored[-1] <= days[-22] and study.realised.notna().all().all()
    assert study.table.loc["qqq", "orders"] == 1


def test_save_timeline_replace_leaves_exactly_the_new_timeline(tmp_path, tiny_model):
    store = ObjectStore(tmp_path)

    def at(cutoff: date) -> TrainedModel:
        return TrainedModel(tiny_model.networks, cutoff, tiny_model.feature_names, tiny_model.hyperparameters,
                            (date(2010, 1, 4), date(2011, 1, 3)), None, {})

    save_timeline(store, [at(date(2012, 1, 1)), at(date(2012, 2, 1)), at(date(2012, 3, 1))])
    deleted: list[str] = []
    save_timeline(store, [at(date(2012, 2, 1)), at(date(2012, 4, 1))], replace=True, log=deleted.append)
    assert model_timeline(store, log=lambda _: None).cutoffs() == [date(2012, 2, 1), date(2012, 4, 1)]
    assert len(deleted) == 2 and "mag7_lstm/2012-01-01" in deleted[0]
    save_timeline(store, [at(date(2012, 5, 1))])           # default: add, keep the others
    assert len(model_timeline(store, log=lambda _: None).cutoffs()) == 3
