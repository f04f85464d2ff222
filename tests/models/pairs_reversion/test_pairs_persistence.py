"""Save a cutoff's pairs to the ObjectStore and load them as of a date: the same predictions, clear errors."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from models import pairs_reversion as pr
from models.store import ModelNotFoundError

from qclocal.object_store import ObjectStore


def test_round_trip_as_of_and_missing_pair(tmp_path, planted, small_timeline):
    closes = planted[0]
    store = ObjectStore(tmp_path / "store")
    keys = pr.save_timeline(store, small_timeline, replace=True, log=None)
    assert keys == [f"pairs_reversion/{c}/manifest.json" for c in sorted(small_timeline)]
    first = min(small_timeline)
    loaded = pr.load_as_of(store, date(2017, 1, 2), ["IEMG_EEM"], log=lambda _: None)
    assert loaded["IEMG_EEM"].cutoff == first
    original = small_timeline[first]["IEMG_EEM"]
    window = closes.loc["2017-03-01":"2017-04-30"]
    assert np.allclose(loaded["IEMG_EEM"].probabilities(window), original.probabilities(window), atol=1e-6)
    assert loaded["IEMG_EEM"].probability_threshold == original.probability_threshold
    with pytest.raises(KeyError, match="no pair ARKK_ARKW.*qclocal research research/pairs_reversion.ipynb"):
        pr.load_as_of(store, date(2018, 6, 1), ["ARKK_ARKW"], log=lambda _: None)
    with pytest.raises(ModelNotFoundError, match="qclocal research research/pairs_reversion.ipynb"):
        pr.load_as_of(store, first, ["IEMG_EEM"], log=lambda _: None)   # not on its own cutoff day
