"""The signal monitor: one leader evaluates the watchlist, records every decision, emits once."""
