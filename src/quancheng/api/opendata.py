"""Open data routes at the site root: DCAT-AP catalog and datasets, Frictionless packages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from quancheng.api.deps import ServicesDep
from quancheng.api.schemas import API_ERRORS
from quancheng.errors import NotFound
from quancheng.opendata.dcat import (
    RDF_FORMATS,
    catalog_graph,
    dataset_graph,
    serialize,
)
from quancheng.opendata.portal import OpenCatalog

if TYPE_CHECKING:
    from quancheng.app import Services

router = APIRouter(tags=["open data"], responses=API_ERRORS)

PageQuery = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")]


def _open(services: Services) -> OpenCatalog:
    return OpenCatalog(db=services.db, catalog=services.catalog, datastore=services.datastore)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _catalog_route(fmt: str) -> Callable[..., Response]:
    syntax_media = RDF_FORMATS[fmt][1]

    def catalog(request: Request, services: ServicesDep, page: PageQuery = 1) -> Response:
        opendata = _open(services)
        portal = opendata.portal(
            _base(request),
            city_name=services.settings.city_name,
            city_name_en=services.settings.city_name_en,
        )
        entries, paging = opendata.page(page)
        if page > paging.last:
            raise NotFound(f"the catalog has {paging.last} pages", details={"page": page})
        body = serialize(catalog_graph(portal, entries, paging, fmt=fmt), fmt)
        return Response(body, media_type=syntax_media)

    catalog.__doc__ = f"One page ({{page}}) of the open catalog as DCAT-AP ({fmt})."
    return catalog


def _dataset_route(fmt: str) -> Callable[..., Response]:
    syntax_media = RDF_FORMATS[fmt][1]

    def dataset(entry_id: str, request: Request, services: ServicesDep) -> Response:
        opendata = _open(services)
        portal = opendata.portal(
            _base(request),
            city_name=services.settings.city_name,
            city_name_en=services.settings.city_name_en,
        )
        body = serialize(dataset_graph(portal, opendata.entry(entry_id)), fmt)
        return Response(body, media_type=syntax_media)

    dataset.__doc__ = f"An open entry (by id or resource code) as a DCAT-AP dataset ({fmt})."
    return dataset


for _fmt in RDF_FORMATS:
    router.add_api_route(
        f"/catalog.{_fmt}", _catalog_route(_fmt), methods=["GET"], response_class=Response
    )
    router.add_api_route(
        f"/dataset/{{entry_id:path}}.{_fmt}",
        _dataset_route(_fmt),
        methods=["GET"],
        response_class=Response,
    )


# `:path` because resource codes contain slashes (210001/000001).
@router.get("/dataset/{entry_id:path}/datapackage.json")
def datapackage(entry_id: str, request: Request, services: ServicesDep) -> JSONResponse:
    """The Frictionless Data Package of an open entry: licence, CSV resource and its schema."""
    opendata = _open(services)
    portal = opendata.portal(
        _base(request),
        city_name=services.settings.city_name,
        city_name_en=services.settings.city_name_en,
    )
    return JSONResponse(opendata.package(portal, entry_id))
