"""Shared column type shorthands so sizes are chosen once."""

from __future__ import annotations

from sqlalchemy import String

from atp.db.types import ExactNumeric

# Prices and quantities: exact decimals wide enough for SHIB-sized volumes and 18-digit ticks.
PRICE = ExactNumeric(38, 18)
AMOUNT = ExactNumeric(38, 18)
PERCENT = ExactNumeric(12, 6)
MINUTES = ExactNumeric(12, 6)  # same storage as PERCENT; named for what it holds

SYMBOL = String(32)  # e.g. BTC_USDT, BTCUSD-PERP
SIDE = String(8)  # BUY / SELL / NONE
STATUS = String(32)  # longest status written today is 13 chars; room for growth
REASON = String(255)  # machine-readable reason codes, e.g. "TELEGRAM_DISABLED:token_missing"
KEY = String(128)  # idempotency keys, strategy keys
