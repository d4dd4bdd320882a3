"""Names of catalog fields and vocabulary values as a reader sees them (translated when shown)."""

from __future__ import annotations

import re

from quancheng.errors import FieldError
from quancheng.web.i18n import N_

FIELDS: dict[str, str] = {
    "classification_code": N_("Classification"),
    "name": N_("Resource name"),
    "name_en": N_("English name"),
    "code": N_("Resource code"),
    "provider": N_("Provider"),
    "department": N_("Provider"),
    "provider_code": N_("Provider code"),
    "abstract": N_("Abstract"),
    "abstract_en": N_("English abstract"),
    "format": N_("Resource format"),
    "data_items": N_("Data items"),
    "sharing_type": N_("Sharing type"),
    "sharing_conditions": N_("Sharing conditions"),
    "legal_basis": N_("Legal basis"),
    "sharing_method": N_("Sharing method"),
    "open_type": N_("Open attribute"),
    "open_conditions": N_("Open conditions"),
    "update_cycle": N_("Update cycle"),
    "published_at": N_("Publish date"),
    "related_codes": N_("Related resource codes"),
    "security_grade": N_("Security grade"),
    "duty": N_("Official duty"),
    "source_system": N_("Source system"),
    "status": N_("Catalog status"),
    "version": N_("Version"),
    "content_hash": N_("Content hash"),
    "keywords": N_("Keywords"),
    "review_comment": N_("Review comment"),
    "updated_at": N_("Last updated"),
}

ITEM_FIELDS: dict[str, str] = {
    "name": N_("Item name"),
    "name_en": N_("English name"),
    "data_type": N_("Data type"),
    "length": N_("Length"),
    "description": N_("Description"),
    "sensitivity": N_("Sensitivity"),
}

VALUES: dict[str, dict[str, str]] = {
    "sharing_type": {
        "unconditional": N_("Unconditional sharing"),
        "conditional": N_("Conditional sharing"),
        "none": N_("Not shared"),
    },
    "open_type": {
        "open": N_("Open unconditionally"),
        "conditional": N_("Open with conditions"),
        "closed": N_("Not open"),
    },
    "sharing_method": {
        "api": N_("API"),
        "file": N_("File"),
        "database": N_("Database sync"),
    },
    "format": {
        "electronic_file": N_("Electronic file"),
        "spreadsheet": N_("Spreadsheet"),
        "database": N_("Database"),
        "image": N_("Graphics and images"),
        "streaming_media": N_("Streaming media"),
        "self_describing": N_("Self-describing format"),
        "service_api": N_("Service interface"),
    },
    "update_cycle": {
        "realtime": N_("Real time"),
        "daily": N_("Daily"),
        "weekly": N_("Weekly"),
        "monthly": N_("Monthly"),
        "quarterly": N_("Quarterly"),
        "semiannual": N_("Half-yearly"),
        "yearly": N_("Yearly"),
    },
    "security_grade": {
        "core": N_("Core"),
        "important": N_("Important"),
        "general": N_("General"),
    },
    "status": {
        "draft": N_("Draft"),
        "submitted": N_("Awaiting review"),
        "published": N_("Published"),
        "offline": N_("Offline"),
    },
    "data_type": {
        "C": N_("Character (C)"),
        "N": N_("Numeric (N)"),
        "Y": N_("Currency (Y)"),
        "D": N_("Date (D)"),
        "T": N_("Date-time (T)"),
        "L": N_("Logical (L)"),
        "M": N_("Memo (M)"),
        "I": N_("Integer (I)"),
        "F": N_("Floating point (F)"),
        "B": N_("Binary (B)"),
    },
    "sensitivity": {
        "public": N_("Public"),
        "internal": N_("Internal"),
        "personal": N_("Personal information"),
        "sensitive_personal": N_("Sensitive personal information"),
    },
    "kind": {
        "city_department": N_("City departments"),
        "district_government": N_("District and county governments"),
        "public_enterprise": N_("Public enterprises"),
    },
    "role": {
        "platform_admin": N_("Platform administrator"),
        "department_admin": N_("Department administrator"),
        "data_steward": N_("Data steward"),
        "department_user": N_("Department user"),
        "public_user": N_("Public user"),
    },
}

# The facets of a search, in the order of the sidebar.
FACETS: dict[str, str] = {
    "department": N_("Provider department"),
    "classification": N_("Classification"),
    "sharing_type": N_("Sharing type"),
    "open_type": N_("Open attribute"),
    "format": N_("Resource format"),
    "update_cycle": N_("Update cycle"),
    "security_grade": N_("Security grade"),
}

SORTS: dict[str, str] = {
    "relevance": N_("Relevance"),
    "updated": N_("Recently updated"),
    "name": N_("Name"),
    "code": N_("Resource code"),
}

# Readable messages for the model's field error codes; a few fields say more.
_ERRORS: dict[str, str] = {
    "required": N_("This field is required."),
    "too_long": N_("This is too long."),
    "invalid_choice": N_("Choose one of the options."),
    "invalid": N_("This value is not valid."),
    "unknown": N_("This value is not known."),
    "not_leaf": N_("Choose a classification at the 目 level."),
    "duplicate": N_("This name appears twice."),
    "out_of_range": N_("This value is outside the allowed range."),
    "too_many": N_("There are too many data items."),
    "sensitive_items": N_("An entry with sensitive personal items cannot be open unconditionally."),
    # The sharing workbench's forms.
    "unknown_item": N_("This entry has no such data item."),
    "not_requested": N_("Only requested items can be granted."),
    "not_a_subset": N_("A partial approval grants fewer items than were requested."),
    "not_all": N_("An approval grants every requested item; approve in part for fewer."),
    "item_not_granted": N_("Choose among the items being granted."),
    "unknown_mask": N_("Choose one of the masking rules."),
    "item_masked": N_("A masked item cannot filter the rows."),
    "unknown_operator": N_("Choose one of the comparisons."),
    "column_missing": N_("The data no longer has this column."),
    "unknown_application": N_("This is not a live API token of the requesting department."),
    "unknown_version": N_("This entry has no such data version."),
    "not_newer": N_("The correction must be a newer data version than the disputed one."),
    "unknown_outcome": N_("Choose whether the data was corrected or is correct."),
    "bad_row": N_("Enter a row number of 1 or more."),
}
_FIELD_ERRORS: dict[tuple[str, str], str] = {
    ("sharing_conditions", "required"): N_("Conditional sharing must state its conditions."),
    ("legal_basis", "required"): N_(
        "Conditional sharing or no sharing must cite a law, regulation or State Council policy."
    ),
    ("open_conditions", "required"): N_("Conditional opening must state its conditions."),
    ("data_items", "required"): N_("An entry needs at least one data item."),
    ("length", "required"): N_("This data type needs a length."),
    ("length", "invalid"): N_("Enter a whole number."),
    ("length", "out_of_range"): N_("Enter a whole number between 1 and 1000000."),
    ("period_days", "out_of_range"): N_(
        "Enter a number of days from 1 up to the longest period the city allows."
    ),
    ("starts_at", "out_of_range"): N_("Choose a start from today up to a year ahead."),
    ("expires_at", "out_of_range"): N_(
        "Choose an expiry after the start and within the requested period."
    ),
    ("quota_per_day", "out_of_range"): N_("Enter at least 1 call a day."),
    ("classification_code", "unknown"): N_("There is no such classification."),
    ("department", "unknown"): N_("There is no such department."),
}
_ITEM_FIELD = re.compile(r"^data_items\[\d+\]\.(\w+)$")


def error_message(error: FieldError) -> str:
    """The catalogue msgid describing a field error (the model's own text as a fallback)."""
    match = _ITEM_FIELD.match(error.field)
    short = match.group(1) if match else error.field
    return _FIELD_ERRORS.get((short, error.code)) or _ERRORS.get(error.code) or error.message
