"""Run a function over items in parallel, results in input order (the shared runner of ``qclocal optimize``).

Minimal joblib-only version with the agreed signature; the owner's version (joblib or ray backends) replaces it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["parallel_map"]


def _call(fn: Callable[[Any], Any], item: Any, return_exceptions: bool) -> Any:
    try:
        return fn(item)
    except Exception as exc:
        if return_exceptions:
            return exc
        raise


def parallel_map(fn: Callable[[Any], Any], items: Iterable[Any], *, n_jobs: int | None = None,
                 backend: str | None = None, address: str | None = None, desc: str | None = None,
                 return_exceptions: bool = False) -> list:
    """``[fn(item) for item in items]`` over ``n_jobs`` processes (default: all cores), with a tqdm bar when
    ``desc`` is given. ``fn`` must be a picklable top-level function."""
    backend = backend or os.environ.get("QCLOCAL_PARALLEL_BACKEND", "joblib")
    if backend != "joblib":
        raise NotImplementedError(f"parallel backend {backend!r}: only 'joblib' is available in this version")
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    items = list(items)
    jobs = (delayed(_call)(fn, item, return_exceptions) for item in items)
    if n_jobs == 1:
        iterator = (_call(fn, item, return_exceptions) for item in items)
    else:
        iterator = Parallel(n_jobs=n_jobs or -1, return_as="generator")(jobs)
    return list(tqdm(iterator, total=len(items), desc=desc, disable=desc is None))
