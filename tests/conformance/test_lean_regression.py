"""qclocal against LEAN's regression suite: our own algorithms, written from each case's behaviour text,
run on LEAN's sample data, must print exactly LEAN's statistics (../shared/lean-reference/cases.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qclocal.algorithm_imports import installed
from qclocal.engine.runner import run_algorithm
from qclocal.project import algorithm_class

HERE = Path(__file__).parent / "algorithms"

# Advisory statistics (lean-reference/README.md): LEAN's internal order-JSON hash and its capacity model.
ADVISORY = {
    "OrderListHash": "an MD5 of LEAN's Newtonsoft order JSON; cannot be reproduced outside LEAN",
    "Estimated Strategy Capacity": "LEAN's capacity heuristic; qclocal does not model it",
    "Lowest Capacity Asset": "comes with the capacity estimate",
}

# LEAN's regression runner passes these parameters (Launcher/config.json).
PARAMETERS = {"ema-fast": "10", "ema-slow": "20"}

CASES = {
    "BasicTemplateAlgorithm": "basic_template.py",
    "BasicTemplateDailyAlgorithm": "basic_template_daily.py",
    "SetHoldingsRegressionAlgorithm": "set_holdings.py",
    "SecurityToSymbolRegressionAlgorithm": "security_to_symbol.py",
    "ParameterizedAlgorithm": "parameterized.py",
    "GetParameterRegressionAlgorithm": "get_parameter.py",
    "OnWarmupFinishedRegressionAlgorithm": "on_warmup_finished.py",
    "DisplacedMovingAverageRibbon": "displaced_ribbon.py",
    "ObjectStoreExampleAlgorithm": "object_store_example.py",
    "CoarseFundamentalTop3Algorithm": "coarse_top3.py",
    "MarketOnCloseOrderBufferRegressionAlgorithm": "moc_buffer.py",
    "StopLimitOrderRegressionAlgorithm": "stop_limit.py",
    "ExtendedMarketTradingRegressionAlgorithm": "extended_market.py",
    "UniverseSelectionRegressionAlgorithm": "universe_selection.py",
}


def _cases(lean_reference: Path) -> dict[str, dict]:
    return {c["name"]: c for c in json.loads((lean_reference / "cases.json").read_text())}


def test_every_reference_case_is_run(lean_reference):
    names = set(_cases(lean_reference))
    assert names == set(CASES)


@pytest.mark.leandata
@pytest.mark.parametrize("name", sorted(CASES))
def test_statistics_match_lean(name, lean_data, lean_reference, tmp_path):
    case = _cases(lean_reference)[name]
    with installed():
        cls = algorithm_class(HERE / CASES[name])
        result = run_algorithm(cls(), lean_data, tmp_path / "storage", PARAMETERS)
    assert result.status == case["expected_final_status"], result.error
    expected = {k: v for k, v in case["expected_statistics"].items() if k not in ADVISORY}
    actual = {k: result.statistics.get(k) for k in expected}
    mismatched = {k: (actual[k], v) for k, v in expected.items() if actual[k] != v}
    assert not mismatched, f"{name}: (qclocal, LEAN) differ: {mismatched}"
    # LEAN's data-point counts (TimeSliceFactory): bars, corporate events and universe rows of live subscriptions,
    # the benchmark's bars from the tradable day before the start, one selection per user-defined universe
    counted = {"DataPoints": result.data_points, "AlgorithmHistoryDataPoints": result.history_points}
    assert counted == case["data_points"], f"{name}: data points (qclocal, LEAN): {counted}, {case['data_points']}"
