"""Shared test fixtures: where ../shared lives, and quiet, single-threaded TensorFlow for a 2-core machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()


def _shared_subdir(name: str) -> Path:
    path = SHARED / name
    if not path.is_dir():
        pytest.skip(f"{path} is absent: these tests need ../shared/{name} beside the repository")
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def lean_data() -> Path:
    """LEAN's sample data folder (../shared/lean-data)."""
    return _shared_subdir("lean-data")


@pytest.fixture(scope="session")
def market_data() -> Path:
    """Real daily market data to 2020 (../shared/market-data)."""
    return _shared_subdir("market-data")


@pytest.fixture(scope="session")
def lean_reference() -> Path:
    return _shared_subdir("lean-reference")


@pytest.fixture(scope="session")
def ray_cluster():
    """A real local Ray cluster: a head and a second node, one CPU each (separate raylets and worker
    processes on this machine); its address, as `--address` takes it. Stopped after the session."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        yield cluster.address
    finally:
        cluster.shutdown()
