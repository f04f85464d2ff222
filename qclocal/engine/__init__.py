"""The qclocal engine: an emulated QCAlgorithm runtime with LEAN's semantics."""
