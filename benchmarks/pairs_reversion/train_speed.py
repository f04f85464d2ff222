"""Per-training time of the pairs_reversion LSTM: a new Keras model per fit (before) against the cached
XLA-compiled trainer of ``models.pairs_reversion.model.fit_classifier`` (after), on real ARKK/ARKW windows
(training through 2018, validation block of 252 samples held out), alternating the two, one process.

    .venv/bin/python benchmarks/pairs_reversion/train_speed.py [--epochs 50] [--configs 6]

Prints per-fit seconds, the 1-minute load average beside each, and the largest weight difference between the
two paths (the same network, initialisation and updates; XLA may reorder float sums).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Library"))

from models import pairs_reversion as pr  # noqa: E402
from models.pairs_reversion.dataset import TRAIN, windows  # noqa: E402
from models.pairs_reversion.model import build_classifier, fit_classifier, pos_weight  # noqa: E402
from models.pairs_reversion.training import grid_configs, prepare  # noqa: E402

DATA = ROOT.parent / "shared" / "market-data" / "close"


def before(X, y, *, hidden, layers, learning_rate, batch_size, epochs, seed):
    """The fit as it was: a new model per configuration, Keras' default compile."""
    import keras

    keras.utils.set_random_seed(seed)
    model = build_classifier(X.shape[1], X.shape[2], hidden=hidden, layers=layers, learning_rate=learning_rate)
    model.fit(X, y, batch_size=batch_size, epochs=epochs, shuffle=False, class_weight={0: 1.0, 1: pos_weight(y)},
              verbose=0)
    return model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--configs", type=int, default=6, help="how many grid configurations (one architecture)")
    args = parser.parse_args()
    closes = pd.concat({t: pd.read_csv(DATA / f"{t}.csv.gz", index_col=0, parse_dates=True)["Close"]
                        for t in ("ARKK", "ARKW")}, axis=1)
    spec = pr.parse_pairs("ARKK/ARKW")[0]
    prep = prepare(closes, spec, "2019-01-01", train_start="2015-01-01", validation_days=252)
    # one architecture (h50, 1 layer, window_size 5) over learning rates x batch sizes, as the grid visits it
    configs = [c for c in grid_configs() if c["hidden"] == 50 and c["layers"] == 1 and c["window_size"] == 5]
    configs = configs[:args.configs]
    X, y, _ = windows(prep.X, prep.y, prep.segments.role, 5, TRAIN)
    rows = []
    for k, config in enumerate(configs):
        cfg = {key: config[key] for key in ("hidden", "layers", "learning_rate", "batch_size")}
        order = ("before", "after") if k % 2 == 0 else ("after", "before")
        out = {}
        for which in order:
            started = time.perf_counter()
            fn = before if which == "before" else fit_classifier
            model = fn(X, y, epochs=args.epochs, seed=0, **cfg)
            out[which] = (time.perf_counter() - started, os.getloadavg()[0], model.get_weights())
        diff = max(float(np.abs(a - b).max()) for a, b in zip(out["before"][2], out["after"][2], strict=True))
        rows.append({**cfg, "before_s": out["before"][0], "after_s": out["after"][0],
                     "load": round((out["before"][1] + out["after"][1]) / 2, 2), "max_weight_diff": diff})
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print(table.round(4).to_string())
    print(f"median before {table.before_s.median():.2f}s, after {table.after_s.median():.2f}s, "
          f"median ratio before/after {(table.before_s / table.after_s).median():.2f}; "
          f"first 'after' fit includes the trace and XLA compile of the architecture")


if __name__ == "__main__":
    main()
