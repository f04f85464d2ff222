"""LEAN library "models": pure-Python features, labels, training, model store and portfolio rules.

Imports only numpy, pandas, scikit-learn, joblib, keras/tensorflow and the standard library,
never AlgorithmImports, so the same code runs in LEAN, in the cloud, in research and under qclocal.
"""
