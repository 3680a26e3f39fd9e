"""Order intent states, the roles of exchange orders, and the derived client_oids.

State machine (docs/orders.md draws it):

    PENDING -> SUBMITTING -> SUBMITTED -> FILLED -> PROTECTING -> PROTECTED -> CLOSED
       |            |             |          ^           |             |
       |            +-------------+          +-----------+ (a step      +-> FILLED (guardian
       |        (looked up by client_oid;       failed: next fallback)       repair)
       |         never sent twice)
       +-> BLOCKED / REJECTED / EXPIRED / CANCELLED (no order was placed)
    SUBMITTING -> PENDING (BACKOFF: proven not placed; resent next tick, same client_oid)
    SUBMITTING / SUBMITTED -> REJECTED (refused) / FAILED (never seen on the exchange)
    FILLED / PROTECTING -> FLATTENING -> FLATTENED   (protection could not be confirmed)
                                      -> UNPROTECTED (flattening off or failed: operator)
    PROTECTED -> FLATTENING (the stop fired but its limit order was gapped through)

Every state change is committed in its own (fenced) transaction BEFORE the request it
announces is sent, so a process killed at any point finds, on restart, a state that says
which request may already be on the exchange - and looks it up instead of sending it again.
"""

from __future__ import annotations

import hashlib
from typing import Final

PENDING: Final = "PENDING"
SUBMITTING: Final = "SUBMITTING"
SUBMITTED: Final = "SUBMITTED"
FILLED: Final = "FILLED"
PROTECTING: Final = "PROTECTING"
PROTECTED: Final = "PROTECTED"
FLATTENING: Final = "FLATTENING"
FLATTENED: Final = "FLATTENED"
UNPROTECTED: Final = "UNPROTECTED"
CLOSED: Final = "CLOSED"
REJECTED: Final = "REJECTED"
FAILED: Final = "FAILED"
BLOCKED: Final = "BLOCKED"
EXPIRED: Final = "EXPIRED"
CANCELLED: Final = "CANCELLED"

# States the flow drives forward every tick.
WORKING_STATES: Final = (PENDING, SUBMITTING, SUBMITTED, FILLED, PROTECTING, FLATTENING)
# States in which the intent holds (or may hold) a position on the exchange.
POSITION_STATES: Final = (FILLED, PROTECTING, PROTECTED, FLATTENING, UNPROTECTED)

# exchange_orders.order_role
ENTRY: Final = "ENTRY"
TAKE_PROFIT: Final = "TAKE_PROFIT"
STOP_LOSS: Final = "STOP_LOSS"
FLATTEN: Final = "FLATTEN"
PROTECTION_ROLES: Final = (TAKE_PROFIT, STOP_LOSS)

# exchange_orders.status (the port's normalised statuses)
OPEN: Final = "OPEN"

# Protection ladder (spec §9.4): one native OCO with a STOP_LIMIT leg; if refused, the same OCO
# with a STOP_LOSS leg; then a standalone stop (no take-profit).
OCO_STOP_LIMIT: Final = "OCO_STOP_LIMIT"
OCO_STOP_LOSS: Final = "OCO_STOP_LOSS"
STOP_ONLY: Final = "STOP_ONLY"
LADDER: Final = (OCO_STOP_LIMIT, OCO_STOP_LOSS, STOP_ONLY)


def next_protection_mode(current: str | None) -> str | None:
    """The next step of the ladder after `current` (None: start over); None when exhausted."""
    if current is None:
        return LADDER[0]
    index = LADDER.index(current) + 1 if current in LADDER else len(LADDER)
    return LADDER[index] if index < len(LADDER) else None


def derived_client_oid(intent_client_oid: str, role: str, attempt: int) -> str:
    """A leg's client_oid: deterministic from the intent's, its role and attempt (36 chars).

    A new attempt gets new ids: the exchange refuses a reused client_oid (204), and the ids of
    an attempt are known before it is sent, so a restart can look each one up.
    """
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    digest = hashlib.sha256(f"{intent_client_oid}:{role}:{attempt}".encode()).hexdigest()
    return "atp-" + digest[:32]
