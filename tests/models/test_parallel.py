"""models.parallel: the same list, in input order, from joblib with 1 or 2 workers and from a real Ray cluster."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from models.parallel import parallel_map

ITEMS = list(range(8))


def work(x: int) -> tuple[int, int]:
    """Late items finish first (so order comes from the runner, not the timing); item 5 fails."""
    time.sleep(0.05 * (len(ITEMS) - x))
    if x == 5:
        raise ValueError(f"item {x} is the planted failure")
    return x * x, os.getpid()


def meet(item: tuple[str, int]) -> int:
    """Wait (up to 2 minutes) until a second worker process has joined: proof that two ran at once."""
    folder, index = Path(item[0]), item[1]
    (folder / f"{index}-{os.getpid()}").touch()
    deadline = time.monotonic() + 120
    while len({p.name.split("-")[1] for p in folder.iterdir()}) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    return os.getpid()


def _values(results: list) -> list:
    return [r if isinstance(r, Exception) else r[0] for r in results]


EXPECTED = [0, 1, 4, 9, 16, "ValueError", 36, 49]


def _comparable(results: list) -> list:
    return [type(v).__name__ if isinstance(v, Exception) else v for v in _values(results)]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_joblib_keeps_input_order_and_returns_failures_in_place(n_jobs, tmp_path):
    results = parallel_map(work, ITEMS, n_jobs=n_jobs, backend="joblib", return_exceptions=True)
    assert _comparable(results) == EXPECTED
    assert "planted failure" in str(results[5])
    pids = {r[1] for r in results if not isinstance(r, Exception)}
    if n_jobs == 1:
        assert pids == {os.getpid()}  # in this process, one item after the other
    else:
        pids = set(parallel_map(meet, [(str(tmp_path), i) for i in range(4)], n_jobs=2, backend="joblib"))
        assert len(pids) == 2 and os.getpid() not in pids


def test_first_failure_is_raised_without_return_exceptions():
    with pytest.raises(ValueError, match="item 5 is the planted failure"):
        parallel_map(work, ITEMS, n_jobs=2)
    assert parallel_map(abs, [], n_jobs=2) == []


def test_backend_from_the_environment_and_bad_arguments(monkeypatch):
    monkeypatch.setenv("QCLOCAL_PARALLEL_BACKEND", "dask")
    with pytest.raises(ValueError, match="unknown parallel backend 'dask'.*QCLOCAL_PARALLEL_BACKEND"):
        parallel_map(abs, [1])
    monkeypatch.setenv("QCLOCAL_PARALLEL_BACKEND", "joblib")
    assert parallel_map(abs, [-1, -2], n_jobs=1) == [1, 2]
    with pytest.raises(ValueError, match="needs backend='ray'"):
        parallel_map(abs, [1], address="auto")
    with pytest.raises(ValueError, match="n_jobs must be at least 1"):
        parallel_map(abs, [1], n_jobs=0)


def test_ray_cluster_gives_the_same_results_as_joblib(ray_cluster, tmp_path):
    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import tests/
    results = parallel_map(work, ITEMS, n_jobs=3, backend="ray", address=ray_cluster, return_exceptions=True)
    assert _comparable(results) == EXPECTED
    assert isinstance(results[5], ValueError) and "planted failure" in str(results[5])
    assert os.getpid() not in {r[1] for r in results if not isinstance(r, Exception)}
    # one CPU per node: two tasks at once means two worker processes on two nodes
    pids = set(parallel_map(meet, [(str(tmp_path), i) for i in range(4)], n_jobs=2, backend="ray",
                            address=ray_cluster))
    assert len(pids) >= 2 and os.getpid() not in pids
    with pytest.raises(ValueError, match="planted failure"):
        parallel_map(work, ITEMS, backend="ray", address=ray_cluster)


def test_ray_without_address_starts_and_stops_a_private_cluster(ray_cluster):
    import ray

    # another cluster runs on this machine (the fixture's): "no address" must not attach to it
    assert parallel_map(abs, [-3, -1, -2], n_jobs=2, backend="ray") == [3, 1, 2]
    assert not ray.is_initialized()
