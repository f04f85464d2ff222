"""Fixtures for the Mag7 LSTM tests: a tiny planted market and a tiny model trained on it once per session."""

from __future__ import annotations

import pandas as pd
import pytest
from mag7_planted import planted_market


@pytest.fixture(scope="session")
def tiny_market() -> dict[str, pd.DataFrame]:
    bars, _ = planted_market(700, tickers=("AAA", "BBB", "CCC"), seed=11)
    return bars


@pytest.fixture(scope="session")
def tiny_cutoff(tiny_market) -> pd.Timestamp:
    return tiny_market["AAA"].index[560]


@pytest.fixture(scope="session")
def tiny_model(tiny_market, tiny_cutoff):
    from models.mag7_lstm.training import train

    return train(tiny_market, tiny_cutoff, epochs=1, train_days=None, validation_days=63, seed=1, seeds=2)
