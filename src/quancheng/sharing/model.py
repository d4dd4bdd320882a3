"""The sharing exchange's rules as pure data: request states, who may move them, and where to.

DOMAIN.md §3: 草稿 → (符合性审查) → 待提供方答复 → 退回补正 | 同意 | 部分同意 | 不予共享 → 协商 →
主管部门协调 → final decision; a granted request becomes a grant that ends as expired,
revoked or withdrawn. "Submitted" is the step from draft (or returned) into the first pending
state; a pending state past its deadline is overdue and escalates to the platform authority.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from quancheng.errors import InvalidTransition, PermissionDenied


class RequestState(StrEnum):
    """Where a sharing request is."""

    DRAFT = "draft"
    COMPLIANCE_CHECK = "compliance_check"
    PENDING_PROVIDER = "pending_provider"
    RETURNED = "returned"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    REJECTED = "rejected"
    NEGOTIATING = "negotiating"
    COORDINATING = "coordinating"
    WITHDRAWN = "withdrawn"


# States in which someone owes an answer and a deadline runs.
PENDING_STATES = frozenset(
    {
        RequestState.COMPLIANCE_CHECK,
        RequestState.PENDING_PROVIDER,
        RequestState.NEGOTIATING,
        RequestState.COORDINATING,
    }
)
GRANTED_STATES = frozenset({RequestState.APPROVED, RequestState.PARTIALLY_APPROVED})


class Party(StrEnum):
    """The side a user acts for on one request."""

    CONSUMER = "consumer"
    PROVIDER = "provider"
    PLATFORM = "platform"


class Action(StrEnum):
    """What a party can do to a request."""

    SUBMIT = "submit"
    PASS = "pass"  # noqa: S105 (an action, not a secret): the platform's compliance check passes the request on to the provider
    RETURN = "return"
    APPROVE = "approve"
    PARTIAL = "partial"
    REJECT = "reject"
    NEGOTIATE = "negotiate"
    COORDINATE = "coordinate"
    WITHDRAW = "withdraw"


class GrantState(StrEnum):
    """Where a grant is; an active grant past its expiry reads as expired."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"


class GrantKind(StrEnum):
    """How a grant came about."""

    SUBSCRIPTION = "subscription"  # an unconditional entry, granted at once
    REQUEST = "request"  # a decision on a conditional request
    OPEN_APPLICATION = "open_application"  # 有条件开放: a public user's approved application


class DisputeState(StrEnum):
    """疑义校核: open until the provider answers."""

    OPEN = "open"
    CORRECTED = "corrected"
    CONFIRMED = "confirmed"


S = RequestState
_C, _P, _A = Party.CONSUMER, Party.PROVIDER, Party.PLATFORM

# (action, from state) -> (parties allowed, target state). SUBMIT's target is decided by
# whether the platform checks compliance; see `next_state`.
TRANSITIONS: dict[tuple[Action, RequestState], tuple[frozenset[Party], RequestState]] = {
    (Action.SUBMIT, S.DRAFT): (frozenset({_C}), S.PENDING_PROVIDER),
    (Action.SUBMIT, S.RETURNED): (frozenset({_C}), S.PENDING_PROVIDER),
    (Action.PASS, S.COMPLIANCE_CHECK): (frozenset({_A}), S.PENDING_PROVIDER),
    (Action.RETURN, S.COMPLIANCE_CHECK): (frozenset({_A}), S.RETURNED),
    (Action.RETURN, S.PENDING_PROVIDER): (frozenset({_P}), S.RETURNED),
    (Action.RETURN, S.NEGOTIATING): (frozenset({_P}), S.RETURNED),
    (Action.APPROVE, S.PENDING_PROVIDER): (frozenset({_P}), S.APPROVED),
    (Action.APPROVE, S.NEGOTIATING): (frozenset({_P}), S.APPROVED),
    (Action.APPROVE, S.COORDINATING): (frozenset({_A}), S.APPROVED),
    (Action.PARTIAL, S.PENDING_PROVIDER): (frozenset({_P}), S.PARTIALLY_APPROVED),
    (Action.PARTIAL, S.NEGOTIATING): (frozenset({_P}), S.PARTIALLY_APPROVED),
    (Action.PARTIAL, S.COORDINATING): (frozenset({_A}), S.PARTIALLY_APPROVED),
    (Action.REJECT, S.PENDING_PROVIDER): (frozenset({_P}), S.REJECTED),
    (Action.REJECT, S.NEGOTIATING): (frozenset({_P}), S.REJECTED),
    (Action.REJECT, S.COORDINATING): (frozenset({_A}), S.REJECTED),
    (Action.NEGOTIATE, S.REJECTED): (frozenset({_C}), S.NEGOTIATING),
    (Action.COORDINATE, S.REJECTED): (frozenset({_C, _A}), S.COORDINATING),
    (Action.COORDINATE, S.NEGOTIATING): (frozenset({_C, _P, _A}), S.COORDINATING),
    # Escalation of an overdue request, and the only way to a 不予共享 entry (from a draft).
    (Action.COORDINATE, S.PENDING_PROVIDER): (frozenset({_A}), S.COORDINATING),
    (Action.COORDINATE, S.DRAFT): (frozenset({_A}), S.COORDINATING),
    **{
        (Action.WITHDRAW, state): (frozenset({_C}), S.WITHDRAWN)
        for state in (
            S.DRAFT,
            S.COMPLIANCE_CHECK,
            S.PENDING_PROVIDER,
            S.RETURNED,
            S.REJECTED,
            S.NEGOTIATING,
            S.COORDINATING,
            S.APPROVED,
            S.PARTIALLY_APPROVED,
        )
    },
}

# Actions that need a written reason (a refusal must give reasons; so must a return).
NEEDS_REASON = frozenset({Action.RETURN, Action.REJECT, Action.NEGOTIATE, Action.COORDINATE})


@dataclass(frozen=True)
class Step:
    """A transition that is allowed: the target state and whether it closes the case."""

    target: RequestState
    final: bool = False


def next_state(
    state: RequestState,
    action: Action,
    parties: frozenset[Party],
    *,
    compliance_check: bool,
    final: bool = False,
) -> Step:
    """Where `action` by someone acting as `parties` takes a request in `state`, or raise.

    `final` marks a request whose rejection came from coordination: nothing reopens it.
    """
    # Who could ever take this action is checked first: a department that is not the
    # provider hears "not yours" (403), whatever state the request is in.
    ever = frozenset().union(*(p for (a, _), (p, _) in TRANSITIONS.items() if a is action))
    if not ever & parties:
        raise _not_yours(action, ever)
    rule = TRANSITIONS.get((action, state))
    if rule is None or (final and action in (Action.NEGOTIATE, Action.COORDINATE)):
        raise InvalidTransition(
            f"cannot {action.value} a request that is {state.value}"
            + (" (the coordinated decision is final)" if final else ""),
            details={"state": state.value, "action": action.value},
        )
    allowed, target = rule
    if not allowed & parties:
        raise _not_yours(action, allowed)
    if action is Action.SUBMIT and compliance_check:
        target = S.COMPLIANCE_CHECK
    closes = action is Action.REJECT and state is S.COORDINATING
    return Step(target=target, final=closes)


def _not_yours(action: Action, allowed: frozenset[Party]) -> PermissionDenied:
    names = sorted(p.value for p in allowed)
    return PermissionDenied(
        f"only the {' or '.join(names)} may {action.value} this request",
        code="not_your_decision",
        details={"action": action.value, "allowed": names},
    )


def allowed_actions(
    state: RequestState, parties: frozenset[Party], *, compliance_check: bool, final: bool
) -> list[Action]:
    """The actions these parties may take now (for the workbench's buttons)."""
    out = []
    for action in Action:
        try:
            next_state(state, action, parties, compliance_check=compliance_check, final=final)
        except (InvalidTransition, PermissionDenied):
            continue
        out.append(action)
    return out
