"""TQQQ leverage model: predict TQQQ's effective daily leverage and drag from information at the previous close.

Modules: ``inputs`` (align the six daily series), ``features`` (the feature frame), ``target`` (returns, drag,
well-conditioned realised leverage), ``baseline`` (the analytic Avellaneda-Zhang baseline), ``networks``
(compact and reference Keras models, the loss), ``training`` (walk-forward training), ``evaluation`` (the
source's table and more), ``simulate`` (TQQQ before its inception), ``predict`` and ``persistence`` (what the
algorithm calls). See docs/tqqq_leverage.md.
"""

STRATEGY = "tqqq_leverage"
