"""What the sharing workbench calls states, actions, masks and fields (translated at render)."""

from __future__ import annotations

from quancheng.web.i18n import N_

REQUEST_STATES: dict[str, str] = {
    "draft": N_("Draft"),
    "compliance_check": N_("Compliance check"),
    "pending_provider": N_("Awaiting the provider"),
    "returned": N_("Returned for correction"),
    "approved": N_("Approved"),
    "partially_approved": N_("Partially approved"),
    "rejected": N_("Not shared"),
    "negotiating": N_("Negotiating"),
    "coordinating": N_("Coordination by the authority"),
    "withdrawn": N_("Withdrawn"),
}
GRANT_STATES: dict[str, str] = {
    "active": N_("Active"),
    "expired": N_("Expired"),
    "revoked": N_("Revoked"),
    "withdrawn": N_("Withdrawn"),
}
DISPUTE_STATES: dict[str, str] = {
    "open": N_("Awaiting an answer"),
    "corrected": N_("Corrected"),
    "confirmed": N_("Confirmed correct"),
}
ACTIONS: dict[str, str] = {
    "submit": N_("Submit"),
    "pass": N_("Pass the compliance check"),
    "return": N_("Return for correction"),
    "approve": N_("Approve"),
    "partial": N_("Approve some items"),
    "reject": N_("Refuse"),
    "negotiate": N_("Ask to negotiate"),
    "coordinate": N_("Ask the authority to coordinate"),
    "withdraw": N_("Withdraw"),
}
# History rows name their step; the request's own actions reuse ACTIONS.
EVENTS: dict[str, str] = {
    "created": N_("Draft created"),
    "updated": N_("Request changed"),
    "overdue": N_("Overdue: escalated to the authority"),
    "grant_created": N_("Grant created"),
    "grant_subscribed": N_("Subscribed"),
    "grant_expired": N_("Grant expired"),
    "grant_revoked": N_("Grant revoked"),
    "grant_withdrawn": N_("Grant withdrawn"),
    "dispute_raised": N_("Dispute raised"),
    "dispute_answered": N_("Dispute answered"),
}
MASKS: dict[str, str] = {
    "raw": N_("Raw (no masking)"),
    "id_number": N_("ID number masked"),
    "mobile": N_("Mobile number masked"),
    "phone": N_("Phone number masked"),
    "name": N_("Name masked"),
    "address": N_("Address shortened"),
    "bank_card": N_("Bank card masked"),
    "email": N_("Email masked"),
    "pseudonym": N_("Pseudonym"),
    "age_band": N_("Age band"),
    "district": N_("District only"),
    "redact": N_("Redacted"),
}
OPS: dict[str, str] = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "lte": "≤",
    "gt": ">",
    "gte": "≥",
    "in": N_("in list"),
    "contains": N_("contains"),
    "startswith": N_("starts with"),
}
FIELDS: dict[str, str] = {
    "purpose": N_("Purpose"),
    "scenario": N_("Scenario"),
    "legal_basis": N_("Legal basis"),
    "items": N_("Data items"),
    "period_days": N_("Period (days)"),
    "reason": N_("Reason"),
    "masking": N_("Masking"),
    "row_filter": N_("Row filter"),
    "starts_at": N_("Start date (default: today)"),
    "expires_at": N_("Expiry date"),
    "quota_per_day": N_("Calls per day"),
    "description": N_("Description"),
    "answer": N_("Answer"),
    "outcome": N_("Outcome"),
    "corrected_version": N_("Corrected in data version"),
    "applications": N_("Applications"),
    # 有条件开放 applications (the portal's apply form).
    "organisation": N_("Organisation"),
    "agreement_sha256": N_("Data-use agreement"),
}
# Titles of the problems a form can come back with (the service's text follows them).
PROBLEMS: dict[int, str] = {
    400: N_("The form could not be understood."),
    409: N_("This step does not fit the current state."),
    422: N_("Some of the values are not valid."),
}
# The service's refusals in the page's language, by code; others show the service's text.
REFUSALS: dict[str, str] = {
    "own_entry": N_("Your department reads its own data directly; no request is needed."),
    "use_subscription": N_("This entry is shared unconditionally: subscribe to it instead."),
    "use_request": N_(
        "Only unconditionally shared entries can be subscribed to; send a request instead."
    ),
    "not_shareable": N_(
        "This entry is not shared; only the platform authority can open a coordination case for it."
    ),
    "entry_not_published": N_("The catalog entry is no longer published."),
    "invalid_transition": N_(
        "This changed since the page was loaded; the page now shows what can be done."
    ),
    "not_a_decision": N_("Items, masks, row filter, dates and quota belong to an approval only."),
    # 有条件开放 applications (the portal's apply form).
    "application_pending": N_(
        "You have already applied for this data; your application is waiting for the department."
    ),
    "not_conditional_open": N_("Only published data open on conditions takes applications."),
}
TABS: dict[str, str] = {
    "mine": N_("My requests"),
    "inbox": N_("Inbox"),
    "held": N_("Grants held"),
    "given": N_("Grants given"),
    "disputes": N_("Disputes"),
}
