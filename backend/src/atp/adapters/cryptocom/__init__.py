"""Crypto.com Exchange v1 adapter.

Layers (each usable on its own, so the private/signed client can reuse the lower ones):

- `errors`     typed exchange errors with the retry class of the contract (§10)
- `envelope`   response envelope and scalar parsing (codes/ids as int or string, decimals)
- `ratelimit`  per-method token buckets with the documented limits (§11)
- `transport`  httpx transport: bounded concurrency, rate limiting, retries with backoff
- `public`     `public/get-instruments`, `public/get-tickers`, `public/get-candlestick`
- `market_data` the `atp.market.ports.MarketData` implementation on top of `public`
- `signing`    the §4 HMAC signature (`sign`)
- `wire`       checks on private params before signing (decimals as strings, order shapes)
- `private`    the signed private client (`CryptoComPrivateClient`), POSTs through `transport`
- `order_rows` private rows (orders, trades, balances) into the broker port types
- `broker`     the `atp.orders.ports.Broker` implementation on top of `private` and `public`
"""
