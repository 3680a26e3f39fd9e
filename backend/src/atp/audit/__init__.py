"""The "no alerts / no trades" audit: global checks, the first blocking cause per symbol, reports.

One service (`atp.audit.service.run_audit`) behind `atp audit`, the cron script
`backend/scripts/audit_no_alerts_no_trades.py` and `GET /api/health/audit`. It reads the
decisions the monitor recorded (state rows, ledger rows) and the current configuration; it never
re-derives a decision, so its reason codes are the ones `atp why` prints.
"""
