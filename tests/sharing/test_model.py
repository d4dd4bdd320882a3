"""The request state machine of DOMAIN.md §3: who may move a request, and where to."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quancheng.errors import InvalidTransition, PermissionDenied
from quancheng.sharing.model import (
    GRANTED_STATES,
    NEEDS_REASON,
    PENDING_STATES,
    TRANSITIONS,
    Action,
    Party,
    RequestState,
    allowed_actions,
    next_state,
)

S = RequestState
A = Action
C, P, X = Party.CONSUMER, Party.PROVIDER, Party.PLATFORM

# DOMAIN.md §3 written out by hand, independently of the table in model.py:
# (action, from) -> (who, to). SUBMIT goes to the compliance check when the platform checks.
EXPECTED: dict[tuple[Action, RequestState], tuple[set[Party], RequestState]] = {
    (A.SUBMIT, S.DRAFT): ({C}, S.PENDING_PROVIDER),
    (A.SUBMIT, S.RETURNED): ({C}, S.PENDING_PROVIDER),
    (A.PASS, S.COMPLIANCE_CHECK): ({X}, S.PENDING_PROVIDER),
    (A.RETURN, S.COMPLIANCE_CHECK): ({X}, S.RETURNED),
    (A.RETURN, S.PENDING_PROVIDER): ({P}, S.RETURNED),
    (A.RETURN, S.NEGOTIATING): ({P}, S.RETURNED),
    (A.APPROVE, S.PENDING_PROVIDER): ({P}, S.APPROVED),
    (A.APPROVE, S.NEGOTIATING): ({P}, S.APPROVED),
    (A.APPROVE, S.COORDINATING): ({X}, S.APPROVED),
    (A.PARTIAL, S.PENDING_PROVIDER): ({P}, S.PARTIALLY_APPROVED),
    (A.PARTIAL, S.NEGOTIATING): ({P}, S.PARTIALLY_APPROVED),
    (A.PARTIAL, S.COORDINATING): ({X}, S.PARTIALLY_APPROVED),
    (A.REJECT, S.PENDING_PROVIDER): ({P}, S.REJECTED),
    (A.REJECT, S.NEGOTIATING): ({P}, S.REJECTED),
    (A.REJECT, S.COORDINATING): ({X}, S.REJECTED),
    (A.NEGOTIATE, S.REJECTED): ({C}, S.NEGOTIATING),
    (A.COORDINATE, S.REJECTED): ({C, X}, S.COORDINATING),
    (A.COORDINATE, S.NEGOTIATING): ({C, P, X}, S.COORDINATING),
    (A.COORDINATE, S.PENDING_PROVIDER): ({X}, S.COORDINATING),
    (A.COORDINATE, S.DRAFT): ({X}, S.COORDINATING),
    **{
        (A.WITHDRAW, state): ({C}, S.WITHDRAWN)
        for state in RequestState
        if state not in (S.WITHDRAWN,)
    },
}

ALL_PARTY_SETS = [frozenset(combo) for n in range(0, 4) for combo in combinations(list(Party), n)]


def test_the_table_is_the_one_domain_md_describes() -> None:
    assert {k: (set(who), to) for k, (who, to) in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize(("action", "state"), sorted(EXPECTED, key=str))
def test_each_transition_is_allowed_for_its_parties_only(
    action: Action, state: RequestState
) -> None:
    who, target = EXPECTED[(action, state)]
    for party in Party:
        parties = frozenset({party})
        if party in who:
            step = next_state(state, action, parties, compliance_check=False)
            assert step.target is target
            if action is A.SUBMIT:
                checked = next_state(state, action, parties, compliance_check=True)
                assert checked.target is S.COMPLIANCE_CHECK
        else:
            with pytest.raises(PermissionDenied) as denied:
                next_state(state, action, parties, compliance_check=False)
            assert denied.value.status == 403
            assert denied.value.code == "not_your_decision"
            assert denied.value.details["action"] == action.value


def test_a_missing_transition_is_a_409_for_someone_who_could_take_the_action() -> None:
    for action in Action:
        ever = set().union(*(who for (a, _), (who, _) in EXPECTED.items() if a is action))
        for state in RequestState:
            if (action, state) in EXPECTED:
                continue
            for party in ever:
                with pytest.raises(InvalidTransition) as refused:
                    next_state(state, action, frozenset({party}), compliance_check=True)
                assert refused.value.status == 409
                assert refused.value.code == "invalid_transition"
                assert refused.value.details == {"state": state.value, "action": action.value}


def test_a_department_that_is_not_the_provider_hears_not_yours_in_every_state() -> None:
    # The consumer can never approve, whatever state the request is in: 403, not 409.
    for state in RequestState:
        for action in (A.APPROVE, A.PARTIAL, A.REJECT, A.PASS):
            with pytest.raises(PermissionDenied) as denied:
                next_state(state, action, frozenset({C}), compliance_check=True)
            assert denied.value.code == "not_your_decision"
        with pytest.raises(PermissionDenied):
            next_state(state, A.SUBMIT, frozenset(), compliance_check=True)


def test_withdrawn_is_terminal_and_a_grant_can_only_be_withdrawn() -> None:
    for parties in ALL_PARTY_SETS:
        assert allowed_actions(S.WITHDRAWN, parties, compliance_check=True, final=False) == []
    for state in GRANTED_STATES:
        assert allowed_actions(state, frozenset(Party), compliance_check=True, final=False) == [
            A.WITHDRAW
        ]


def test_a_rejection_after_coordination_is_final() -> None:
    step = next_state(S.COORDINATING, A.REJECT, frozenset({X}), compliance_check=True)
    assert step == next_state(S.COORDINATING, A.REJECT, frozenset({X}), compliance_check=False)
    assert step.target is S.REJECTED and step.final
    # A provider's own rejection is not final: negotiation and coordination stay open.
    first = next_state(S.PENDING_PROVIDER, A.REJECT, frozenset({P}), compliance_check=True)
    assert not first.final
    for action, parties in ((A.NEGOTIATE, {C}), (A.COORDINATE, {C}), (A.COORDINATE, {X})):
        with pytest.raises(InvalidTransition) as refused:
            next_state(S.REJECTED, action, frozenset(parties), compliance_check=True, final=True)
        assert "final" in refused.value.message
    everyone = frozenset(Party)
    assert allowed_actions(S.REJECTED, everyone, compliance_check=True, final=True) == [A.WITHDRAW]
    assert set(allowed_actions(S.REJECTED, everyone, compliance_check=True, final=False)) == {
        A.NEGOTIATE,
        A.COORDINATE,
        A.WITHDRAW,
    }


def test_refusals_and_returns_need_reasons_and_pending_states_are_the_waiting_ones() -> None:
    assert {A.REJECT, A.RETURN} <= NEEDS_REASON
    assert A.APPROVE not in NEEDS_REASON and A.SUBMIT not in NEEDS_REASON
    assert {S.COMPLIANCE_CHECK, S.PENDING_PROVIDER, S.NEGOTIATING, S.COORDINATING} == PENDING_STATES
    assert {S.APPROVED, S.PARTIALLY_APPROVED} == GRANTED_STATES


def _expected_actions(
    state: RequestState, parties: frozenset[Party], *, final: bool
) -> set[Action]:
    return {
        action
        for (action, source), (who, _) in EXPECTED.items()
        if source is state
        and who & parties
        and not (final and action in (A.NEGOTIATE, A.COORDINATE))
    }


party_sets = st.sampled_from(ALL_PARTY_SETS)
moves = st.lists(st.tuples(st.sampled_from(list(Action)), party_sets), max_size=30)


@settings(max_examples=300, deadline=None)
@given(moves=moves, compliance_check=st.booleans())
def test_random_walks_stay_in_the_table_and_buttons_match_the_rules(
    moves: list[tuple[Action, frozenset[Party]]], compliance_check: bool
) -> None:
    state, final = S.DRAFT, False
    targets = {to for _, to in EXPECTED.values()} | {S.COMPLIANCE_CHECK, S.DRAFT}
    for action, parties in moves:
        offered = allowed_actions(state, parties, compliance_check=compliance_check, final=final)
        assert set(offered) == _expected_actions(state, parties, final=final)
        try:
            step = next_state(
                state, action, parties, compliance_check=compliance_check, final=final
            )
        except PermissionDenied as denied:
            assert action not in offered
            assert denied.status == 403
            continue
        except InvalidTransition as refused:
            assert action not in offered
            assert refused.status == 409
            continue
        assert action in offered
        who, target = EXPECTED[(action, state)]
        assert who & parties
        if action is A.SUBMIT and compliance_check:
            target = S.COMPLIANCE_CHECK
        assert step.target is target
        assert step.target in targets
        assert step.final == (action is A.REJECT and state is S.COORDINATING)
        state, final = step.target, final or step.final
    if state is S.WITHDRAWN:
        assert allowed_actions(state, frozenset(Party), compliance_check=True, final=final) == []
