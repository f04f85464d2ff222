"""Spread, features, labels and purged splits: training-window statistics only, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from models import pairs_reversion as pr
from models.pairs_reversion.dataset import TRAIN, VALIDATION

SPEC = pr.PairSpec("IEMG", "EEM", 3, 0.01)


def _closes(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    b = 40 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    s = np.zeros(n)
    for t in range(1, n):
        s[t] = 0.8 * s[t - 1] + rng.normal(0, 0.003)
    return pd.DataFrame({"IEMG": 1.2 * b * np.exp(s), "EEM": b}, index=pd.bdate_range("2016-01-01", periods=n))


def test_spread_is_z_difference_with_training_statistics():
    closes = _closes()
    stats = pr.fit_stats(closes.iloc[:200])
    a, b = closes.iloc[:200, 0], closes.iloc[:200, 1]
    expected = (closes.iloc[:, 0] - a.mean()) / a.std() - (closes.iloc[:, 1] - b.mean()) / b.std()
    assert np.allclose(pr.spread(closes, stats), expected)
    z = pr.zscore(pr.spread(closes, stats), stats)
    assert abs(z.iloc[:200].mean()) < 1e-9 and z.iloc[:200].std() == pytest.approx(1.0)
    ra, rb = np.diff(np.log(a)), np.diff(np.log(b))
    assert stats.hedge_ratio == pytest.approx(np.polyfit(rb, ra, 1)[0])


def test_labels_mark_a_return_within_threshold_over_the_next_window():
    s = pd.Series([0.5, 0.3, 0.2, 0.005, 0.4, 0.6, 0.7, 0.8, 0.9])
    labels = pr.reversion_labels(s, 0.0, 3, 0.01)
    assert list(labels.iloc[:6]) == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert labels.iloc[6:].isna().all()


@settings(max_examples=25, deadline=None)
@given(cut=st.integers(min_value=40, max_value=380), seed=st.integers(0, 3))
def test_features_at_or_before_t_ignore_data_after_t(cut, seed):
    closes = _closes(seed=seed)
    stats = pr.fit_stats(closes.iloc[:150])
    changed = closes.copy()
    changed.iloc[cut + 1:] *= np.random.default_rng(seed).uniform(0.5, 2.0, changed.iloc[cut + 1:].shape)
    before = pr.compute_features(closes, stats, 7).iloc[:cut + 1]
    after = pr.compute_features(changed, stats, 7).iloc[:cut + 1]
    pd.testing.assert_frame_equal(before, after)


def test_prepare_uses_nothing_on_or_after_the_cutoff_and_purges_labels():
    closes = _closes()
    cutoff = closes.index[300]
    changed = closes.copy()
    changed.iloc[300:] *= 3.0
    for validation_days in (0, 60):
        a = pr.prepare(closes, SPEC, cutoff, validation_days=validation_days)
        b = pr.prepare(changed, SPEC, cutoff, validation_days=validation_days)
        assert a.stats == b.stats
        assert np.allclose(a.mean, b.mean) and np.allclose(a.scale, b.scale)
        used = a.segments.role >= 0
        assert np.array_equal(a.segments.role, b.segments.role)
        assert np.allclose(a.X[used], b.X[used]) and np.array_equal(a.y[used], b.y[used])
        positions = np.flatnonzero(used)
        assert (positions + SPEC.window < 300).all()        # every label read ends before the cutoff
    inner = pr.prepare(closes, SPEC, cutoff, validation_days=60)
    train, val = (np.flatnonzero(inner.segments.role == r) for r in (TRAIN, VALIDATION))
    assert len(val) == 60 and (train + SPEC.window < val[0]).all()   # purge of `window` rows
    # inner statistics come from rows before the validation block only
    assert inner.stats == pr.fit_stats(closes[closes.index < closes.index[val[0]]])


def test_bad_inputs_fail_with_clear_errors():
    closes = _closes()
    with pytest.raises(ValueError, match="only .* closes before cutoff"):
        pr.prepare(closes, SPEC, closes.index[5])
    with pytest.raises(ValueError, match="unknown pair 'XXX_YYY'"):
        pr.parse_pairs("IEMG/EEM,XXX/YYY")
    with pytest.raises(ValueError, match="constant"):
        pr.fit_stats(pd.DataFrame({"A": [1.0] * 5, "B": [1.0, 2, 3, 4, 5]}))
