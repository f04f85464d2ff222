"""LEAN data folder: readers, writers, importers and synthetic market generators."""
