"""One way to map a function over independent jobs: joblib on this machine, or Ray on a cluster.

``parallel_map(fn, items)`` returns ``[fn(x) for x in items]`` in input order, whatever the backend and the
number of workers. ``fn`` must be a picklable top-level function and must not share mutable state between
items (each item reads data and the ObjectStore, and writes only its own output).

Backends: ``"joblib"`` (loky worker processes on this machine; the default) and ``"ray"`` (a Ray cluster: the
one at ``address``: ``"HEAD_IP:6379"`` as ``ray start --head`` prints it, or ``"auto"`` for one started on
this machine; else a private local one started for this call and stopped after it). The environment variable ``QCLOCAL_PARALLEL_BACKEND`` sets the default backend, and
``QCLOCAL_RAY_ADDRESS`` the default address. Ray 2.53.0 is the version in LEAN's foundation image, so research
notebooks inside LEAN can use the same backend.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from tqdm import tqdm

BACKENDS = ("joblib", "ray")


class _Raised:
    """A worker's exception, carried back as a value so one failure does not stop the other items."""

    def __init__(self, error: BaseException):
        self.error = error


def _call(fn: Callable[[Any], Any], item: Any) -> Any:
    try:
        return fn(item)
    except Exception as exc:  # noqa: BLE001 - handed back to the caller, who re-raises or keeps it
        return _Raised(exc)


def resolve_backend(backend: str | None, address: str | None = None) -> str:
    """The backend to use: the argument, else ``QCLOCAL_PARALLEL_BACKEND``, else joblib; checked."""
    name = (backend or os.environ.get("QCLOCAL_PARALLEL_BACKEND") or "joblib").lower()
    if name not in BACKENDS:
        raise ValueError(f"unknown parallel backend {name!r}: use one of {', '.join(BACKENDS)} "
                         "(argument backend= or environment variable QCLOCAL_PARALLEL_BACKEND)")
    if name == "joblib" and address:
        raise ValueError("address= names a Ray cluster; it needs backend='ray'")
    return name


def parallel_map(fn: Callable[[Any], Any], items: Iterable[Any], *, n_jobs: int | None = None,
                 backend: str | None = None, address: str | None = None, desc: str | None = None,
                 return_exceptions: bool = False) -> list:
    """``[fn(x) for x in items]``, computed by up to ``n_jobs`` workers (default: every CPU available).

    With ``return_exceptions=True`` a failed item's slot holds its exception and the others still run;
    otherwise the first failure in input order is raised once every item has finished. ``desc`` shows a tqdm
    bar over the items.
    """
    items = list(items)
    if n_jobs is not None and n_jobs < 1:
        raise ValueError(f"n_jobs must be at least 1, got {n_jobs}")
    name = resolve_backend(backend, address)
    with tqdm(total=len(items), desc=desc, disable=desc is None, unit="job") as bar:
        run = _map_ray if name == "ray" else _map_joblib
        results = run(fn, items, n_jobs, address, bar)
    if not return_exceptions:
        for result in results:
            if isinstance(result, _Raised):
                raise result.error
    return [r.error if isinstance(r, _Raised) else r for r in results]


def _map_joblib(fn, items: list, n_jobs: int | None, address: str | None, bar: tqdm) -> list:
    from joblib import Parallel, delayed

    workers = min(n_jobs or os.cpu_count() or 1, max(len(items), 1))
    results = []
    # the generator yields in input order as results arrive, so the bar moves while work is under way
    for result in Parallel(n_jobs=workers, return_as="generator")(delayed(_call)(fn, x) for x in items):
        results.append(result)
        bar.update()
    return results


def _map_ray(fn, items: list, n_jobs: int | None, address: str | None, bar: tqdm) -> list:
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")  # CPU jobs: silence Ray's GPU-variable tip
    try:
        import ray
    except ImportError:
        raise ImportError("backend 'ray' needs Ray 2.53.0 (LEAN's version): make setup installs it, or "
                          "pip install -e '.[cluster]'") from None

    address = address or os.environ.get("QCLOCAL_RAY_ADDRESS")
    started = not ray.is_initialized()
    if started:
        options: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}  # keep the bar readable
        if not address:  # "local": a private cluster for this call, never one that happens to run here
            address = "local"
            options.update(num_cpus=n_jobs, include_dashboard=False)
        ray.init(address=address, **options)
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(_call)
        fn_ref = ray.put(fn)
        results: list = [None] * len(items)
        pending: dict = {}
        queue = iter(enumerate(items))

        def submit() -> None:  # at most n_jobs tasks in flight, so n_jobs means the same on both backends
            nxt = next(queue, None)
            if nxt is not None:
                pending[remote.remote(fn_ref, nxt[1])] = nxt[0]

        for _ in range(n_jobs or len(items)):
            submit()
        while pending:
            (done,), _ = ray.wait(list(pending), num_returns=1)
            results[pending.pop(done)] = _ray_result(ray, done)
            bar.update()
            submit()
        return results
    finally:
        if started:
            ray.shutdown()


def _ray_result(ray, ref) -> Any:
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as exc:  # the worker died, or the task could not run at all
        return _Raised(exc)
