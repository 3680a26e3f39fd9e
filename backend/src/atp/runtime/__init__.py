"""Composition root, loop runner and process entry points."""
