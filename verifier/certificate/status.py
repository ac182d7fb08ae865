"""The status lifecycle of a registered certificate: actions, reason codes, allowed transitions.

A certificate starts ``active``. ``suspend`` takes an active one out of force; ``reinstate`` puts a
suspended one back; ``revoke`` withdraws an active or suspended one for good. Nothing follows a
revocation. Expiry is not a status: it is computed from the validity period whenever it is asked.
"""

from __future__ import annotations

import enum

from verifier.errors import Kind, VerifierError
from verifier.verdict import StatusState

# A registered certificate holds one bit in each of its issuer's status lists (W3C Bitstring Status
# List): lists of LIST_SIZE bits, the Recommendation's minimum, for herd privacy.
LIST_SIZE = 131_072
STATUS_PURPOSES = ("revocation", "suspension")


class Action(enum.Enum):
    """What an issuer can do to one of its certificates."""

    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    REVOKE = "revoke"


REASONS: dict[Action, tuple[str, ...]] = {
    Action.SUSPEND: ("non_conformity", "surveillance_overdue", "holder_request", "investigation", "other"),
    Action.REVOKE: (
        "non_conformity",
        "holder_request",
        "fraud",
        "superseded",
        "key_compromise",
        "ceased_production",
        "other",
    ),
    Action.REINSTATE: ("cleared", "corrected", "other"),
}

# The state each action needs, and the one it leaves.
TRANSITIONS: dict[Action, tuple[frozenset[StatusState], StatusState]] = {
    Action.SUSPEND: (frozenset({StatusState.ACTIVE}), StatusState.SUSPENDED),
    Action.REINSTATE: (frozenset({StatusState.SUSPENDED}), StatusState.ACTIVE),
    Action.REVOKE: (frozenset({StatusState.ACTIVE, StatusState.SUSPENDED}), StatusState.REVOKED),
}


class TransitionRefused(VerifierError):
    """The action is not allowed from the certificate's current state."""

    kind = Kind.CONFLICT
    code = "conflict"

    def __init__(self, action: Action, state: StatusState) -> None:
        self.action = action
        self.state = state
        super().__init__(f"cannot {action.value} a certificate that is {state.value}")


def next_state(action: Action, current: StatusState) -> StatusState:
    """The state ``action`` leaves from ``current``; raises :class:`TransitionRefused` when not allowed."""
    allowed_from, result = TRANSITIONS[action]
    if current not in allowed_from:
        raise TransitionRefused(action, current)
    return result
