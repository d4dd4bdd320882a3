"""Published versions of a catalog entry: canonical snapshot, content hash, readable diff."""

from __future__ import annotations

import hashlib
import json
from typing import Any

# Fields shown in a diff in this order; data items are compared by name.
SCALAR_FIELDS = (
    "name",
    "name_en",
    "abstract",
    "abstract_en",
    "classification_code",
    "provider",
    "format",
    "sharing_type",
    "sharing_conditions",
    "legal_basis",
    "sharing_method",
    "open_type",
    "open_conditions",
    "update_cycle",
    "security_grade",
    "duty",
    "source_system",
    "related_codes",
    "keywords",
)
ITEM_FIELDS = ("name_en", "data_type", "length", "description", "sensitivity")


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 (hex) of the snapshot's canonical JSON."""
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()


def diff_snapshots(old: dict[str, Any] | None, new: dict[str, Any]) -> list[dict[str, Any]]:
    """Changes from one published snapshot to the next, one dict per changed field or item."""
    if old is None:
        return [{"field": "*", "change": "created"}]
    changes: list[dict[str, Any]] = [
        {"field": f, "change": "changed", "before": old.get(f), "after": new.get(f)}
        for f in SCALAR_FIELDS
        if old.get(f) != new.get(f)
    ]
    before = {i["name"]: i for i in old.get("data_items", [])}
    after = {i["name"]: i for i in new.get("data_items", [])}
    for name, item in after.items():
        if name not in before:
            changes.append({"field": f"data_items.{name}", "change": "added", "after": item})
            continue
        for f in ITEM_FIELDS:
            if before[name].get(f) != item.get(f):
                changes.append(
                    {
                        "field": f"data_items.{name}.{f}",
                        "change": "changed",
                        "before": before[name].get(f),
                        "after": item.get(f),
                    }
                )
    for name, item in before.items():
        if name not in after:
            changes.append({"field": f"data_items.{name}", "change": "removed", "before": item})
    return changes
