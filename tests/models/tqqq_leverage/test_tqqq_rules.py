"""The replica's sizing rules: shares from a price and an equity known when the order is placed."""

import pytest
from models.tqqq_leverage.rules import check_execution, leverage_after_fill, needs_rebalance, target_shares


def test_shares_sized_at_the_fill_price_hold_the_prediction_up_to_one_share():
    equity, price = 100_000.0, 312.47
    for leverage in (2.9, 2.95, 3.0, 3.04):
        shares = target_shares(leverage, equity, price)
        cash = equity - shares * price  # all equity in cash before the fill, one trade
        held = leverage_after_fill(shares, price, cash)
        assert abs(held - leverage) <= 0.5 * price / equity * 1.0001


def test_sizing_from_a_stale_price_anti_rebalances():
    """The old MOC rule: shares sized at yesterday's close, held from today's close after a +2% day."""
    equity, close, leverage, r = 100_000.0, 300.0, 3.0, 0.02
    shares = target_shares(leverage, equity, close)
    cash = equity - shares * close
    held = leverage_after_fill(shares, close * (1 + r), cash)
    assert held == pytest.approx(leverage * (1 + r) / (1 + leverage * r), abs=1e-3)
    assert held < 2.9  # about L (1 - (L-1) r) = 2.88


def test_band_and_bad_inputs():
    assert needs_rebalance(2.9, 3.0, 0.05) and not needs_rebalance(2.97, 3.0, 0.05)
    assert needs_rebalance(2.999, 3.0, 0.0)
    with pytest.raises(ValueError, match="price 0"):
        target_shares(3.0, 1e5, 0.0)
    with pytest.raises(ValueError, match="execution.*config.json"):
        check_execution("vwap")
