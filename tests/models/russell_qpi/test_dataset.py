"""Labels look 6 sessions ahead and training never sees them across the cutoff (purge), validation starts after
an embargo, and changing data on or after the cutoff never changes a model's training rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from models import russell_qpi as q
from qpi_market import random_market


def test_forward_return_reads_six_sessions_ahead():
    close, _ = random_market(5, days=160, names=8, vol=0.03)
    fwd = q.forward_return(close)
    assert fwd["N0"].iloc[10] == close["N0"].iloc[16] / close["N0"].iloc[10] - 1
    assert fwd.iloc[-6:].isna().all().all() and fwd.iloc[-7].notna().all()


def test_purge_embargo_and_no_look_ahead_in_training_rows():
    close, volume = random_market(5, days=160, names=8, vol=0.03)
    panel = q.sample_panel(close, volume)
    cutoff = close.index[100]
    for side in q.SIDES:
        s = q.side_samples(panel, cutoff, side, band=50.0, validation_periods=20)
        train_dates = panel.index.get_level_values("date")[s.split.train_index]
        # purge: the last training label (date + 6 sessions) ends before the cutoff
        last = close.index.get_loc(train_dates.max())
        assert close.index[last + q.HORIZON] < cutoff
        # embargo: validation starts 6 sessions after the first session on/after the cutoff
        assert pd.Timestamp(s.split.validation_start) == close.index[100 + q.EMBARGO]
        changed_close, changed_volume = close.copy(), volume.copy()
        changed_close.loc[cutoff:] *= np.linspace(0.5, 2.0, len(changed_close.loc[cutoff:]))[:, None]
        changed_volume.loc[cutoff:] = 1.0
        again = q.side_samples(q.sample_panel(changed_close, changed_volume), cutoff, side, band=50.0,
                               validation_periods=20)
        np.testing.assert_array_equal(s.X_train, again.X_train)
        np.testing.assert_array_equal(s.y_train, again.y_train)
