"""On the planted `reversal` market the gates find the planted events and the gated rule beats the ungated one.

Bounds: AUC on the validation candidates (QPI < 15 long, > 85 short), pooled over yearly cutoffs 2017-2020 (each
model scores only the 252 sessions after its cutoff + embargo):
- against the planted event indicator (score beyond 2 daily sds over 3 days and volume ratio >= 1.5): no skill gives
  0.5 + 3 SE (~0.52 for these sizes); measured 0.98 (long) / 0.81 (short); we require 0.75 (long) / 0.65 (short);
- against the 6-day label, long side only: the oracle (the true event indicator) reaches only ~0.55, so we require
  the no-skill bound 0.5 + 3 SE of the Mann-Whitney statistic; the short effect (kappa 0.15) is too weak for a label
  bound (oracle ~0.52).
"""

from __future__ import annotations

import json
import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from models import russell_qpi as q
from models.lean_history import wide

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    from qclocal.data.synthetic import generate
    from qclocal.engine.enums import Resolution
    from qclocal.research import QuantBook

    data = tmp_path_factory.mktemp("reversal")
    generate("reversal", data, seed=7, start="2014-01-01", end="2020-12-31", progress=False)
    tickers = json.loads((data / "synthetic/reversal/truth.json").read_text())["tickers"]["coarse"]
    qb = QuantBook(data_folder=data, object_store=data / "store")
    history = qb.history([qb.add_equity(t, Resolution.DAILY).symbol for t in tickers], datetime(2014, 1, 1),
                         datetime(2021, 1, 1), Resolution.DAILY)
    vix = wide(qb.history([qb.add_index("VIX", Resolution.DAILY).symbol], datetime(2014, 1, 1),
                          datetime(2021, 1, 1), Resolution.DAILY), "close")["VIX"]
    close, volume = wide(history, "close"), wide(history, "volume")
    panel = q.sample_panel(close, volume)
    models = q.train_timeline(panel, ["2017-01-01", "2018-01-01", "2019-01-01", "2020-01-01"],
                              validation_periods=252, params={"max_iter": 60}, progress=False)
    return wide(history, "open"), close, volume, vix, panel, models


def _auc(y, p) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def test_gates_find_the_planted_reversal(planted):
    *_, models = planted
    val = pd.concat([m.validation for m in models])
    for side, event_bound in (("long", 0.75), ("short", 0.65)):
        v = val[val["side"] == side]
        cand = v[v["qpi"] < 15] if side == "long" else v[v["qpi"] > 85]
        sign = -1 if side == "long" else 1
        event = (sign * cand["ret_3d_z"] >= 2 * math.sqrt(3)) & (cand["vol_ratio"] >= 1.5)
        assert _auc(event, cand["p"]) > event_bound, side
        if side == "long":
            n1, n0 = int(cand["label"].sum()), int((1 - cand["label"]).sum())
            bound = 0.5 + 3 * math.sqrt((n1 + n0 + 1) / (12 * n1 * n0))
            assert _auc(cand["label"], cand["p"]) > bound


def test_gated_rule_beats_the_ungated_rule(planted):
    open_, close, volume, vix, panel, models = planted
    rules = q.Rules()
    scores = q.score_panel(models, panel, rules)
    qpi = panel["qpi"].unstack().reindex(index=close.index, columns=close.columns)
    stats = {name: q.backtest(open_, close, volume, qpi, scores["p_long"].unstack(), scores["p_short"].unstack(),
                              vix, rules.variant(name), start="2017-01-03", end="2020-12-31").stats
             for name in ("full", "no_gate")}
    assert stats["full"]["sharpe"] > stats["no_gate"]["sharpe"] + 0.5
    assert stats["full"]["win_rate"] > stats["no_gate"]["win_rate"]
    assert np.isfinite(stats["full"]["turnover"])
