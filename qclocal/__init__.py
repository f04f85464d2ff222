"""qclocal: a Docker-free stand-in for the lean CLI that runs LEAN Python algorithms with LEAN's semantics."""

__version__ = "0.1.0"
