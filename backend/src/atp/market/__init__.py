"""Market data: instruments, tickers, candles, freshness."""
