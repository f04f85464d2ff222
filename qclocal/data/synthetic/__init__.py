"""Deterministic synthetic markets in LEAN format, each a named scenario with planted effects.

``generate(scenario, data_folder, seed=7, start=..., end=...)`` writes the scenario's equities (raw daily bars,
factor and map files), indexes, LEAN's risk-free-rate file, FRED series and, where relevant, coarse universe
files into ``data_folder``, then the planted parameters to ``<data_folder>/synthetic/<scenario>/truth.json``.
It returns that truth. The same (scenario, seed, start, end) always gives byte-identical files, and a later
``end`` leaves every earlier session unchanged. See ``docs/synthetic.md`` and each scenario module's docstring.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from qclocal.data import provenance
from qclocal.data.synthetic import leveraged_etf, mag7, pairs, reversal, sectors
from qclocal.data.synthetic.core import SyntheticMarket, sessions, to_date
from qclocal.data.synthetic.output import truth_path, write_market

VERSION = 2  # 2: mag7's planted impulse spreads over the 21-day label horizon
DEFAULT_START = "2012-01-01"
DEFAULT_END = "2020-12-31"
MIN_SESSIONS = 300

_MODULES = (leveraged_etf, mag7, reversal, sectors, pairs)
SCENARIOS: dict[str, str] = {m.NAME: m.DESCRIPTION for m in _MODULES}
_SIMULATORS: dict[str, Callable[[pd.DatetimeIndex, int], SyntheticMarket]] = {m.NAME: m.simulate for m in _MODULES}

__all__ = ["SCENARIOS", "VERSION", "DEFAULT_START", "DEFAULT_END", "generate", "simulate", "truth_path"]


def simulate(scenario: str, *, seed: int = 7, start: str | date = DEFAULT_START,
             end: str | date = DEFAULT_END) -> SyntheticMarket:
    """The scenario's market in memory (nothing written)."""
    if scenario not in _SIMULATORS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIOS)}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    first, last = to_date(start, "start"), to_date(end, "end")
    index = sessions(first, last)
    if len(index) < MIN_SESSIONS:
        raise ValueError(f"{first}..{last} has {len(index)} NYSE sessions; a scenario needs at least "
                         f"{MIN_SESSIONS} (about 14 months)")
    market = _SIMULATORS[scenario](index, seed)
    market.truth = {**market.truth, "scenario": scenario, "seed": seed, "version": VERSION,
                    "start": index[0].date().isoformat(), "end": index[-1].date().isoformat(),
                    "sessions": len(index)}
    return market


def generate(scenario: str, data_folder: str | Path, *, seed: int = 7, start: str | date = DEFAULT_START,
             end: str | date = DEFAULT_END, progress: bool = True, allow_mixed: bool = False,
             force: bool = False) -> dict:
    """Write the scenario into ``data_folder`` (LEAN layout) and return its truth (also in truth.json).

    Refuses (``provenance.DataSafetyError``, nothing written) a folder holding imported data unless
    ``allow_mixed``, or files qclocal has no record of unless ``force``."""
    market = simulate(scenario, seed=seed, start=start, end=end)
    wrap = None
    if progress:
        from tqdm import tqdm

        def wrap(items):
            return tqdm(items, desc=f"writing {scenario}", unit="ticker", leave=False)
    with provenance.writing(data_folder, f"synthetic:{scenario}", allow_mixed=allow_mixed, force=force):
        paths = write_market(data_folder, scenario, market, progress=wrap)
    return json.loads(paths[-1].read_text())
