"""Per-training time of the pairs_reversion LSTM: a new Keras model per fit (before) against the cached
XLA-compiled trainer of ``models.pairs_reversion.model.fit_classifier`` (after), on real ARKK/ARKW windows
(training through 2018, validation block of 252 samples held out), alternating the two, one process.

    .venv/bin/python benchmarks/pairs_reversion/train_speed.py [--epochs 50] [--configs 6]

Prints per-fit wall and CPU seconds (``time.process_time``: this process, all its threads; much less sensitive
to other jobs on a shared machine than wall time), the 1-minute load average beside each, and the largest weight
difference between the two paths (the same network, initialisation and updates; XLA may reorder float sums).
"after" runs each configuration twice: the first fit of a batch size compiles its shapes, the repeat (another
seed) is a cache hit, as most fits of a grid group are.
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
        order = ("before", "after", "repeat") if k % 2 == 0 else ("after", "repeat", "before")
        out = {}
        for which in order:
            wall, cpu = time.perf_counter(), time.process_time()
            fn = before if which == "before" else fit_classifier
            model = fn(X, y, epochs=args.epochs, seed=int(which == "repeat"), **cfg)
            out[which] = (time.perf_counter() - wall, time.process_time() - cpu, os.getloadavg()[0],
                          model.get_weights())
        diff = max(float(np.abs(a - b).max()) for a, b in zip(out["before"][3], out["after"][3], strict=True))
        rows.append({**cfg, **{f"{w}_{unit}": out[w][i] for w in ("before", "after", "repeat")
                               for i, unit in ((0, "s"), (1, "cpu_s"))},
                     "load": round(float(np.mean([out[w][2] for w in out])), 2), "max_weight_diff": diff})
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print(table.round(4).to_string())
    for unit in ("s", "cpu_s"):
        b, a, r = (table[f"{w}_{unit}"] for w in ("before", "after", "repeat"))
        print(f"{unit}: median before {b.median():.2f}, after (new shapes) {a.median():.2f}, after (cache hit) "
              f"{r.median():.2f}; median ratios before/after {(b / a).median():.2f}, before/cache hit "
              f"{(b / r).median():.2f}")
    print("the first 'after' fit also traces the architecture; later ones compile only new batch shapes")


if __name__ == "__main__":
    main()
