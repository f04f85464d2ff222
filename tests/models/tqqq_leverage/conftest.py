"""Fixtures for the TQQQ leverage tests: the planted market and one tiny model trained on it (shared)."""

from __future__ import annotations

import pytest
from models.tqqq_leverage.training import TrainedModel, train
from tqqq_planted import FAST, PLANTED_CUTOFF, PlantedMarket, planted_market


@pytest.fixture(scope="session")
def planted() -> PlantedMarket:
    return planted_market()


@pytest.fixture(scope="session")
def planted_model(planted: PlantedMarket) -> TrainedModel:
    return train(planted.inputs, PLANTED_CUTOFF, variant="compact", config=FAST)
