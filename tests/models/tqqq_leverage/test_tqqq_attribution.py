"""replica_attribution: the parts of a replica's daily difference from TQQQ, on a ledger simulated here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models.tqqq_leverage.dataset import InputError
from models.tqqq_leverage.evaluation import REPLICA_COMPONENTS, attribution_table, replica_attribution
from models.tqqq_leverage.rules import target_shares


def _moo_ledger(n=400, seed=3, fee=1.0, rate=0.02):
    """A replica that sizes at each close and fills at the next open (whole shares), pays a fee per order and
    financing on borrowed cash; TQQQ follows the predicted leverage and drag plus noise."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2019-01-01", periods=n + 1)
    gaps, days = rng.normal(0, 0.006, n + 1), rng.normal(0, 0.012, n + 1)
    opens = 100 * np.cumprod((1 + gaps) * (1 + days)) / (1 + days)
    closes = opens * (1 + days)
    leverage = 3 + 0.05 * rng.standard_normal(n + 1)
    drag = -0.0001 + 0.0002 * rng.standard_normal(n + 1)
    cash, shares, rows = 1e6, 0.0, []
    equity = cash
    for t in range(1, n + 1):
        financing = max(-cash, 0) * rate / 252
        cash -= financing
        before = shares
        order = target_shares(leverage[t], equity, closes[t - 1]) - shares  # sized at the previous close
        cash -= order * opens[t] + fee
        shares += order
        new_equity = cash + shares * closes[t]
        r_qqq = closes[t] / closes[t - 1] - 1
        rows.append({"r_qqq": r_qqq, "r_tqqq": leverage[t] * r_qqq + drag[t] + rng.normal(0, 0.0005),
                     "leverage": leverage[t], "drag": drag[t], "close_prev": closes[t - 1], "fill_price": opens[t],
                     "close": closes[t], "shares_before": before, "shares_after": shares, "equity_prev": equity,
                     "replica": new_equity / equity - 1, "fees": fee, "financing": financing / equity})
        equity = new_equity
    return pd.DataFrame(rows, index=index[1:])


def test_parts_sum_to_the_tracking_difference_and_name_their_sources():
    ledger = _moo_ledger()
    parts = replica_attribution(ledger)
    assert list(parts.columns) == [*REPLICA_COMPONENTS, "tracking"]
    np.testing.assert_allclose(parts[list(REPLICA_COMPONENTS)].sum(axis=1), parts["tracking"], atol=1e-12)
    np.testing.assert_allclose(parts["tracking"], ledger["replica"] - ledger["r_tqqq"], atol=1e-15)
    # the MOO order sized at the previous close holds the prediction after the open, up to whole shares
    assert parts["after_fill"].abs().max() < 1e-6 < parts["before_fill"].abs().max()
    # the overnight gap carries the previous size drifted by a whole session, then moved to the new prediction
    held = ledger["shares_before"] * ledger["close_prev"] / ledger["equity_prev"]
    gap = ledger["fill_price"] / ledger["close_prev"] - 1
    np.testing.assert_allclose(parts["before_fill"], (held - ledger["leverage"]) * gap, atol=1e-15)
    np.testing.assert_allclose(parts["fees"], -1.0 / ledger["equity_prev"])
    np.testing.assert_allclose(parts["cash"], -ledger["financing"], atol=1e-12)
    np.testing.assert_allclose(parts["drag"], -ledger["drag"])
    table = attribution_table(parts)
    assert table.loc["tracking", "alone"] == pytest.approx(parts["tracking"].std() * np.sqrt(252))
    assert table.loc["drag", "mean"] == pytest.approx(-ledger["drag"].mean() * 252)


def test_missing_columns_are_named():
    with pytest.raises(InputError, match="fill_price"):
        replica_attribution(_moo_ledger(n=5).drop(columns="fill_price"))
