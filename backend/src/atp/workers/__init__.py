"""What every long-running worker shares: the periodic loop runner (signals, backoff, failure
logs) and the single-instance lock with lease fencing. Areas use these; only `atp.runtime`
(the composition root) wires adapters to areas."""
