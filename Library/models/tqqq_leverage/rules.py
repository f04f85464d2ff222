"""Trading rules of the replica (pure functions): how many QQQ shares hold a predicted leverage.

The shares are sized from a price and an equity known when the order is placed, so that the leverage held after
the fill is the prediction up to one share and the move between that price and the fill price:

- ``moo``: decide after the close, size from that close, fill at the next open (the overnight gap moves it);
- ``intraday``: a few minutes before the close, size from the current price and fill at it (exact up to rounding);
- ``moc``: the old daily-data rule kept for comparison: at 15:45 the last known price is the previous close, so
  the market-on-close order is sized one session late and the held leverage is about ``L (1 - (L-1) r)`` after a
  day with return ``r`` (an anti-rebalancing error).
"""

from __future__ import annotations

EXECUTIONS = ("moo", "intraday", "moc")


def check_execution(execution: str) -> str:
    if execution not in EXECUTIONS:
        raise ValueError(f"unknown execution {execution!r}: use one of {', '.join(EXECUTIONS)} "
                         f"(parameter `execution` in algorithms/tqqq_leverage/config.json)")
    return execution


def target_shares(leverage: float, equity: float, price: float) -> int:
    """Whole shares whose value is ``leverage`` times ``equity`` at ``price`` (nearest share)."""
    if price <= 0 or equity <= 0:
        raise ValueError(f"cannot size a position from price {price} and equity {equity}")
    return round(leverage * equity / price)


def needs_rebalance(held_leverage: float, predicted: float, band: float) -> bool:
    """Trade only when the leverage held is more than ``band`` away from the prediction."""
    return abs(held_leverage - predicted) > band


def leverage_after_fill(shares: float, fill_price: float, cash_after_fill: float) -> float:
    """The leverage held right after a fill: position value over equity, both at the fill price."""
    value = shares * fill_price
    return value / (cash_after_fill + value)
