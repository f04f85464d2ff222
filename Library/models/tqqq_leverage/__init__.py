"""TQQQ leverage model: predict TQQQ's effective daily leverage and drag from information at the previous close.

Modules (the shape every strategy shares): ``dataset`` (the six daily series aligned, returns, the
well-conditioned realised leverage, the analytic Avellaneda-Zhang drag the labels are net of), ``features`` (the
feature frame and its training-range scaler), ``model`` (compact and reference Keras networks, the losses,
predictions), ``training`` (walk-forward training), ``persistence`` (ObjectStore), ``rules`` (order sizing of the
replica), ``evaluation`` (the source's table and more; TQQQ simulated before its inception), ``report`` (the
real-data report). See docs/tqqq_leverage.md.
"""

STRATEGY = "tqqq_leverage"


def timeline_name(variant: str) -> str:
    """The ObjectStore timeline of a variant: ``tqqq_leverage`` for the default compact model,
    ``tqqq_leverage_<variant>`` for the others, so variants trained at the same cutoff never overwrite each other."""
    if variant not in ("compact", "reference", "baseline"):
        raise ValueError(f"unknown tqqq_leverage variant {variant!r}: use compact, reference or baseline")
    return STRATEGY if variant == "compact" else f"{STRATEGY}_{variant}"
