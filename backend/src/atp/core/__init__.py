"""Pure domain code: no database, HTTP or Telegram imports (numpy/pandas allowed)."""
