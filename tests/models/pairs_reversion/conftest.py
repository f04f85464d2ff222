"""Fixtures for the pairs_reversion tests: the planted market and a small model timeline trained on it once."""

from __future__ import annotations

import pytest
from pairs_planted import planted_bars


@pytest.fixture(scope="session")
def planted():
    return planted_bars()


@pytest.fixture(scope="session")
def small_timeline(planted):
    """One cutoff (2017-01-01), four pairs (half-lives 3, 5, 4 and 30), small networks, one seed, no grid.

    The source's label thresholds were set for real spreads. On the planted spreads (training std 0.025-0.05)
    they make reversion so likely that always predicting 1 has an F1 near 0.9, which nothing can beat by much;
    the short half-life pairs here use thresholds that give 35-45% positives out of sample."""
    from models import pairs_reversion as pr

    closes, _, _ = planted
    specs = [pr.PairSpec("IEMG", "EEM", 3, 0.002), pr.PairSpec("TLT", "SPTL", 5, 0.005),
             pr.PairSpec("SHY", "VGSH", 3, 0.01), pr.PairSpec("SOXX", "ITA", 20, 0.1)]
    return pr.train_timeline(closes, specs, ["2017-01-01"], train_start="2014-01-01", grid=None,
                             hyperparameters={"hidden": 16, "epochs": 15}, seeds=(0,), validation_days=126,
                             n_jobs=1, progress=False, log=None)
