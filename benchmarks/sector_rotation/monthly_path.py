"""The sector_rotation algorithm's monthly path on real data: reading the 49 FRED series and building the as-of
feature panel, this tree against a reference commit (default ``main``), alternated in one process.

    qclocal data import --source ../shared/market-data --data-folder /work/sector-data --no-coarse \
        --tickers SPY,"$(ls ../shared/market-data/fred | sed 's/.csv.gz//' | paste -sd,)"
    .venv/bin/python benchmarks/sector_rotation/monthly_path.py --data-folder /work/sector-data [--reference main]

Per repeat, for each side: ``read``: every FRED file parsed as ``add_data(Fred, ...)`` history reads it (the
reference parses each line in Python at every call; this tree parses with pandas once per file version and then
serves a cached copy: ``read cold`` clears that cache first, ``read warm`` is what each later month start pays);
``features``: ``macro_features`` over the 36-month window the algorithm passes at one month start. Medians over
the repeats and the 1-minute load average are printed; run it at normal priority on an otherwise quiet machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Library"))

import pandas as pd  # noqa: E402
from models.sector_rotation import features as current_features  # noqa: E402
from models.sector_rotation.features import FRED_SETS, HISTORY_MONTHS  # noqa: E402

from qclocal.data import fred as current_fred  # noqa: E402


def reference_module(rev: str, path: str, name: str, folder: Path) -> ModuleType:
    source = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:{path}"], check=True, capture_output=True,
                            text=True).stdout
    file = folder / f"{name}.py"
    file.write_text(source)
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-folder", type=Path, required=True)
    parser.add_argument("--reference", default="main")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    series = FRED_SETS["market-data"]
    with tempfile.TemporaryDirectory() as folder:
        ref_fred = reference_module(args.reference, "qclocal/data/fred.py", "reference_fred", Path(folder))
        ref_features = reference_module(args.reference, "Library/models/sector_rotation/features.py",
                                        "models.sector_rotation.reference_features", Path(folder))
    fred = pd.DataFrame({s: current_fred.read_fred(args.data_folder, s) for s in series}).sort_index()
    decision = pd.Timestamp("2018-06-01")
    window = fred.loc[decision - pd.DateOffset(days=31 * HISTORY_MONTHS):decision]
    dates = pd.date_range(window.index[0], decision, freq="MS")
    pd.testing.assert_frame_equal(ref_features.macro_features(window, dates),
                                  current_features.macro_features(window, dates))
    for s in series:
        pd.testing.assert_series_equal(ref_fred.read_fred(args.data_folder, s),
                                       current_fred.read_fred(args.data_folder, s))
    times: dict[str, list[float]] = {k: [] for k in ("read reference", "read cold", "read warm",
                                                     "features reference", "features")}
    loads = []
    for _ in range(args.repeat):
        loads.append(os.getloadavg()[0])
        times["read reference"].append(timed(lambda: [ref_fred.read_fred(args.data_folder, s) for s in series]))
        current_fred._parse_fred_file.cache_clear()
        current_fred._visible_values.cache_clear()
        times["read cold"].append(timed(lambda: [current_fred.read_fred(args.data_folder, s) for s in series]))
        times["read warm"].append(timed(lambda: [current_fred.read_fred(args.data_folder, s) for s in series]))
        times["features reference"].append(timed(lambda: ref_features.macro_features(window, dates)))
        times["features"].append(timed(lambda: current_features.macro_features(window, dates)))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{len(series)} FRED series, {args.repeat} repeats, 1-min load {min(loads):.1f}..{max(loads):.1f}")
    for k, v in med.items():
        print(f"  {k:20s} median {v * 1000:9.1f} ms")
    print(f"  read: cold {med['read reference'] / med['read cold']:.1f}x, warm "
          f"{med['read reference'] / med['read warm']:.0f}x faster than {args.reference}; features "
          f"{med['features reference'] / med['features']:.1f}x")


if __name__ == "__main__":
    main()
