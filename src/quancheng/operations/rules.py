"""Alarm rules: what a rule watches (validated on construction) and the pure conditions."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from quancheng.errors import FieldError, ValidationFailed
from quancheng.operations.model import ENTITY_TYPES, Observation

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
KINDS = ("threshold", "offline", "flag")
SEVERITIES = ("critical", "major", "minor", "warning")
SCOPE_TARGETS = ("district", "group", "entities")
MAX_DURATION = 366 * 86400
MAX_ENTITIES = 1000


def breaches(op: str, value: object, threshold: float) -> bool | None:
    """Whether a value is outside a threshold; None when the value is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if math.isnan(value):
        return None
    return OPERATORS[op](float(value), threshold)


def flag_value(value: object) -> bool | None:
    """A failure flag's truth: booleans and "true"/"false"; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


@dataclass(frozen=True)
class RuleSpec:
    """What a rule watches; validated when constructed (ValidationFailed lists every field)."""

    name: str
    entity_type: str
    kind: str
    attribute: str = ""
    operator: str = ""
    threshold: float | None = None
    duration_seconds: int = 0
    scope: Mapping[str, Any] = field(default_factory=dict)
    severity: str = "major"
    enabled: bool = True

    def __post_init__(self) -> None:
        errors = list(self._errors())
        if errors:
            raise ValidationFailed("the rule is not valid", errors=errors)

    def _errors(self) -> Iterable[FieldError]:
        if not isinstance(self.name, str) or not 1 <= len(self.name.strip()) <= 200:
            yield FieldError("name", "invalid", "a name of 1 to 200 characters is required")
        if self.entity_type not in ENTITY_TYPES:
            yield FieldError("entity_type", "unknown", f"one of {', '.join(ENTITY_TYPES)}")
        if self.kind not in KINDS:
            yield FieldError("kind", "unknown", f"one of {', '.join(KINDS)}")
        if self.severity not in SEVERITIES:
            yield FieldError("severity", "unknown", f"one of {', '.join(SEVERITIES)}")
        duration = self.duration_seconds
        if isinstance(duration, bool) or not isinstance(duration, int):
            yield FieldError("duration_seconds", "invalid", "a whole number of seconds")
        elif not 0 <= duration <= MAX_DURATION:
            yield FieldError("duration_seconds", "out_of_range", f"0 to {MAX_DURATION} seconds")
        elif self.kind == "offline" and duration <= 0:
            yield FieldError("duration_seconds", "required", "an offline rule needs a duration")
        if self.kind in ("threshold", "flag") and not (
            isinstance(self.attribute, str) and 0 < len(self.attribute) <= 100
        ):
            yield FieldError("attribute", "required", "the attribute the rule watches")
        if self.kind == "threshold":
            if self.operator not in OPERATORS:
                yield FieldError("operator", "unknown", f"one of {' '.join(OPERATORS)}")
            t = self.threshold
            if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
                yield FieldError("threshold", "required", "a finite number")
        yield from scope_errors(self.scope)

    def applies_to(self, department_id: int, rule_department: int, obs: Observation) -> bool:
        """Whether an observed entity is in this rule's scope (its department's, of its type)."""
        if department_id != rule_department or obs.entity_type != self.entity_type:
            return False
        return in_scope(self.scope, obs.entity_id, obs.district, obs.group_id)

    @property
    def webhook(self) -> str:
        """The URL alarms of this rule are posted to ("" for none)."""
        return str(self.scope.get("webhook") or "")


def scope_errors(scope: object) -> Iterable[FieldError]:
    """What is wrong with a rule's scope (district, group or entities, plus a webhook)."""
    if not isinstance(scope, Mapping):
        yield FieldError("scope", "invalid", "an object")
        return
    unknown = set(scope) - {*SCOPE_TARGETS, "webhook"}
    if unknown:
        yield FieldError("scope", "unknown", f"unknown keys: {', '.join(sorted(unknown))}")
    if sum(1 for key in SCOPE_TARGETS if key in scope) > 1:
        yield FieldError("scope", "invalid", "at most one of district, group, entities")
    for key in ("district", "group"):
        if key in scope and not (isinstance(scope[key], str) and 0 < len(scope[key]) <= 256):
            yield FieldError(f"scope.{key}", "invalid", "a non-empty string")
    if "entities" in scope:
        ids = scope["entities"]
        if (
            not isinstance(ids, list)
            or not 0 < len(ids) <= MAX_ENTITIES
            or not all(isinstance(i, str) and i for i in ids)
        ):
            yield FieldError("scope.entities", "invalid", f"a list of 1 to {MAX_ENTITIES} ids")
    if "webhook" in scope and scope["webhook"] not in (None, ""):
        url = scope["webhook"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            yield FieldError("scope.webhook", "invalid", "an http(s) URL")


def in_scope(scope: Mapping[str, Any], entity_id: str, district: str, group_id: str) -> bool:
    """Whether an entity is inside a scope ({} is every entity)."""
    if "district" in scope:
        return bool(district == scope["district"])
    if "group" in scope:
        return bool(group_id == scope["group"])
    if "entities" in scope:
        return entity_id in scope["entities"]
    return True


def _describe_duration(seconds: int) -> str:
    if seconds and seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds and seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def rule_message(spec: RuleSpec, value: object) -> str:
    """The alarm text of a rule, e.g. "PM2_5 > 115 for 30 min (value 130)"."""
    if spec.kind == "offline":
        return f"no observation for {_describe_duration(spec.duration_seconds)}"
    if spec.kind == "flag":
        return f"{spec.attribute} is true"
    limit = f"{spec.threshold:g}" if spec.threshold is not None else "?"
    held = f" for {_describe_duration(spec.duration_seconds)}" if spec.duration_seconds else ""
    return f"{spec.attribute} {spec.operator} {limit}{held} (value {value})"
