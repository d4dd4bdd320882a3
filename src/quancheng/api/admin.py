"""Platform administration routes: a consistent backup taken by the live server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from quancheng.api.deps import PrincipalDep, ServicesDep
from quancheng.api.schemas import API_ERRORS
from quancheng.backup import iter_file, snapshot_archive
from quancheng.db.models import utcnow
from quancheng.errors import NotAuthenticated, PermissionDenied
from quancheng.identity.roles import Principal

router = APIRouter(prefix="/admin", tags=["admin"], responses=API_ERRORS)


def require_platform_admin(actor: Principal) -> None:
    """Raise 401 for anonymous callers and 403 for anyone but a platform administrator."""
    if actor.is_platform_admin and actor.is_authenticated:
        return
    if not actor.is_authenticated:
        raise NotAuthenticated("log in or present an API token")
    raise PermissionDenied("only a platform administrator may do this")


@router.get(
    "/backup",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-tar": {}}}},
)
def backup(services: ServicesDep, actor: PrincipalDep) -> StreamingResponse:
    """A consistent snapshot of the city (metadata, datastore, keys) as a tar archive."""
    require_platform_admin(actor)
    stack = ExitStack()
    # Built before the response starts, so a failure is an error response, not a cut archive.
    archive = stack.enter_context(snapshot_archive(services))

    def body() -> Iterator[bytes]:
        with stack:
            yield from iter_file(archive)

    name = f"quancheng-backup-{utcnow():%Y%m%dT%H%M%SZ}.tar"
    return StreamingResponse(
        body(),
        # Also when the client leaves before the body was read (closing twice is harmless).
        background=BackgroundTask(stack.close),
        media_type="application/x-tar",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(archive.stat().st_size),
        },
    )
