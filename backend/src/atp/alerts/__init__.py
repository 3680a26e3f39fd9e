"""Alerts: the durable outbox / message ledger and its Telegram sender."""
