"""Protocol-level fakes: real HTTP servers on loopback (fake exchange, fake Telegram)."""
