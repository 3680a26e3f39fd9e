"""Watchlist: per-symbol configuration the operator edits."""
