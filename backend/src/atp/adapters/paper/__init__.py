"""Paper trading: the broker port on a simulated account (the default, TRADING_MODE=paper).

Use `atp.adapters.paper.broker.PaperBroker`. This package file stays empty on purpose:
`atp.db.models` imports the paper tables from `.models` and must not pull in the broker.
"""
