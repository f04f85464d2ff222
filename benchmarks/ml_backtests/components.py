"""The per-bar pieces of the tqqq_leverage decision, old way against new way, timed in one process (ratios are
robust to machine load): the network call (Keras eager vs the numpy forward pass), the features (all 89 vs the
model's 14 by name with pandas vs on arrays with feature_values) and history() (a fresh stream per request vs
the cache), and the algorithm's whole data step (history(), wide(), align_inputs()).

    python benchmarks/ml_backtests/components.py --root /tmp/mlbench     # after run.py setup
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Library"))


def _cpu_ms(fn, repeat: int) -> float:
    fn()
    start = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - start) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    import numpy as np
    from models.inference import load_keras
    from models.lean_history import wide
    from models.tqqq_leverage import numpy_layers  # noqa: F401
    from models.tqqq_leverage.dataset import align_inputs
    from models.tqqq_leverage.features import COMPACT_FEATURES, build_features, feature_values

    from qclocal.engine import algorithm as algorithm_module
    from qclocal.engine import feed
    from qclocal.engine.enums import Resolution
    from qclocal.research import QuantBook

    data = args.root / "shared" / "data"
    qb = QuantBook(data_folder=data, object_store=args.root / "shared" / "storage")
    symbols = [qb.add_equity(t, Resolution.DAILY).symbol for t in ("QQQ", "TQQQ")]
    symbols += [qb.add_index(t, Resolution.DAILY).symbol for t in ("VIX", "VIX3M", "IRX", "TNX")]
    end = datetime(2018, 6, 1, 16)
    span = timedelta(days=int(288 * 365 / 252) + 30)  # the algorithm's lookback

    def history():
        return qb.history(symbols, end - span, end, Resolution.DAILY)

    def uncached(sub, folder, start, stop):
        stream = feed.load_stream(sub, folder, start, stop)
        return stream.end_ns, stream.values, stream.close_only

    results = {"load_1min": os.getloadavg()[0]}
    results["history_cached_ms"] = _cpu_ms(history, args.repeat)
    cached_frame = history()
    original = algorithm_module.history_bars
    algorithm_module.history_bars = uncached
    results["history_uncached_ms"] = _cpu_ms(history, args.repeat)
    assert history().equals(cached_frame)
    algorithm_module.history_bars = original

    closes = wide(cached_frame, "close")
    inputs = align_inputs(closes["QQQ"], closes["TQQQ"], closes["VIX"], closes["VIX3M"], closes["IRX"], closes["TNX"])
    results["features_all_ms"] = _cpu_ms(lambda: build_features(inputs)[list(COMPACT_FEATURES)], args.repeat)
    results["features_by_name_ms"] = _cpu_ms(lambda: build_features(inputs, COMPACT_FEATURES), args.repeat)
    results["features_arrays_ms"] = _cpu_ms(lambda: feature_values(inputs, COMPACT_FEATURES), args.repeat)
    results["features_max_abs_difference"] = float(np.abs(
        feature_values(inputs, COMPACT_FEATURES) - build_features(inputs, COMPACT_FEATURES).to_numpy())[-10:].max())

    def decision_inputs():  # the algorithm's whole data step: history(), wide(), align_inputs()
        frame = wide(history(), "close")
        return align_inputs(frame["QQQ"], frame["TQQQ"], frame["VIX"], frame["VIX3M"], frame["IRX"], frame["TNX"])
    results["history_wide_align_ms"] = _cpu_ms(decision_inputs, args.repeat)

    model_file = sorted((args.root / "shared" / "storage" / "tqqq_leverage").glob("*/model.keras"))[-1]
    fast = load_keras(model_file)
    x = np.random.default_rng(0).normal(size=(1, *fast.input_shape[1:])).astype("float32")
    results["numpy_call_ms"] = _cpu_ms(lambda: fast(x), args.repeat * 10)
    start = time.process_time()
    import keras
    from models.tqqq_leverage.networks import CUSTOM_OBJECTS

    results["keras_import_cpu_s"] = time.process_time() - start
    slow = keras.saving.load_model(model_file, custom_objects=CUSTOM_OBJECTS, compile=False)
    results["keras_eager_call_ms"] = _cpu_ms(lambda: slow(x, training=False), args.repeat)
    results["max_abs_difference"] = float(np.abs(np.asarray(slow(x, training=False)) - fast(x)).max())
    results["load_1min_end"] = os.getloadavg()[0]
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in results.items()}, indent=1))



if __name__ == "__main__":
    main()
