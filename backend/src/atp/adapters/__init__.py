"""Adapters to the outside world (exchange, Telegram, replay feed) behind the ports."""
