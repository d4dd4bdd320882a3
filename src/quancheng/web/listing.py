"""Lists of entries on a page: the query in the URL, links that change it, and paging."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

PAGE_SIZE = 20


@dataclass(frozen=True)
class PageLink:
    """One numbered page of a result list."""

    number: int
    url: str
    current: bool


@dataclass(frozen=True)
class Listing:
    """The query of a list page as URL parameters, and links to variations of it."""

    path: str
    params: Mapping[str, str]

    @classmethod
    def of(cls, path: str, raw: Mapping[str, str | int | None]) -> Listing:
        """Keep only the parameters that are set (empty form fields are not filters)."""
        return cls(path, {k: str(v) for k, v in raw.items() if v not in (None, "", 0)})

    def url(self, **changes: str | int | None) -> str:
        """This list with some parameters changed or (with None) removed; paging restarts."""
        params = {k: v for k, v in self.params.items() if k != "offset"}
        for key, value in changes.items():
            if value is None or value == "" or (key == "offset" and value == 0):
                params.pop(key, None)
            else:
                params[key] = str(value)
        return self.path + (f"?{urlencode(params)}" if params else "")

    def toggle(self, key: str, value: str) -> str:
        """Select a facet value, or clear it when it is the one selected."""
        return self.url(**{key: None if self.params.get(key) == value else value})

    def get(self, key: str) -> str | None:
        """A parameter's value, if set."""
        return self.params.get(key)

    def pages(self, total: int, offset: int, limit: int = PAGE_SIZE) -> Paging:
        """Paging links around the current page."""
        count = max(1, -(-total // limit))
        current = min(offset // limit + 1, count)
        window = sorted({1, count, *range(max(1, current - 2), min(count, current + 2) + 1)})
        links = [PageLink(n, self.url(offset=(n - 1) * limit), n == current) for n in window]
        prev_url = self.url(offset=(current - 2) * limit) if current > 1 else None
        next_url = self.url(offset=current * limit) if current < count else None
        return Paging(
            total=total,
            first=offset + 1 if total else 0,
            last=min(offset + limit, total),
            links=links,
            prev_url=prev_url,
            next_url=next_url,
        )


@dataclass(frozen=True)
class Paging:
    """Where a page sits in a result list."""

    total: int
    first: int
    last: int
    links: list[PageLink]
    prev_url: str | None
    next_url: str | None

    @property
    def several(self) -> bool:
        """Whether there is more than one page."""
        return len(self.links) > 1
