"""TQQQ leverage model: predict TQQQ's effective daily leverage and drag from information at the previous close.

Modules: ``inputs`` (align the six daily series), ``features`` (the feature frame), ``target`` (returns, drag,
well-conditioned realised leverage), ``baseline`` (the analytic Avellaneda-Zhang baseline), ``networks``
(compact and reference Keras models, the loss), ``training`` (walk-forward training), ``evaluation`` (the
source's table and more), ``simulate`` (TQQQ before its inception), ``predict`` and ``persistence`` (what the
algorithm calls). See docs/tqqq_leverage.md.
"""

STRATEGY = "tqqq_leverage"


def timeline_name(variant: str) -> str:
    """The ObjectStore timeline of a variant: ``tqqq_leverage`` for the default compact model,
    ``tqqq_leverage_<variant>`` for the others, so variants trained at the same cutoff never overwrite each other."""
    if variant not in ("compact", "reference", "baseline"):
        raise ValueError(f"unknown tqqq_leverage variant {variant!r}: use compact, reference or baseline")
    return STRATEGY if variant == "compact" else f"{STRATEGY}_{variant}"
