"""API routes of the catalog: departments, classification, datasets, stats."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel

from quancheng.api.deps import PrincipalDep, ServicesDep
from quancheng.api.schemas import (
    API_ERRORS,
    DatasetCreate,
    DatasetFieldsIn,
    DatasetPublic,
    DatasetSearch,
    Decision,
    DepartmentCreate,
    DepartmentList,
    DepartmentPublic,
    Stats,
    VersionPublic,
)
from quancheng.catalog.service import SearchQuery
from quancheng.identity.roles import Permission
from quancheng.identity.service import DepartmentFields

router = APIRouter(tags=["catalog"], responses=API_ERRORS)


class ClassificationPublic(BaseModel):
    """A node of the classification tree."""

    code: str
    name: str
    name_en: str
    level: int
    parent_code: str | None


def _fields(body: BaseModel) -> dict[str, Any]:
    data = body.model_dump(exclude={"department", "code"})
    data["data_items"] = [dict(i) for i in data.get("data_items", [])]
    return data


@router.get("/departments", response_model=DepartmentList)
def list_departments(services: ServicesDep, actor: PrincipalDep) -> DepartmentList:
    """Every department, district government and public enterprise of the city."""
    actor.require(Permission.CATALOG_READ)
    items = [DepartmentPublic.of(d) for d in services.identity.list_departments()]
    return DepartmentList(items=items, total=len(items))


@router.post("/departments", response_model=DepartmentPublic, status_code=201)
def create_department(
    body: DepartmentCreate, services: ServicesDep, actor: PrincipalDep
) -> DepartmentPublic:
    """Register a department (platform authority)."""
    actor.require(Permission.DEPARTMENT_MANAGE)
    fields = DepartmentFields(
        key=body.key,
        name=body.name,
        short_name=body.short_name,
        credit_code=body.credit_code,
        kind=body.kind,
        name_en=body.name_en,
        parent_key=body.parent,
    )
    return DepartmentPublic.of(services.identity.create_department(actor, fields))


@router.get("/departments/{ref}", response_model=DepartmentPublic)
def get_department(ref: str, services: ServicesDep, actor: PrincipalDep) -> DepartmentPublic:
    """One department by id or key."""
    actor.require(Permission.CATALOG_READ)
    return DepartmentPublic.of(services.identity.get_department(ref))


@router.get("/classifications", response_model=list[ClassificationPublic])
def list_classifications(services: ServicesDep, actor: PrincipalDep) -> list[ClassificationPublic]:
    """The classification tree (类/项/目)."""
    actor.require(Permission.CATALOG_READ)
    return [
        ClassificationPublic(
            code=c.code, name=c.name, name_en=c.name_en, level=c.level, parent_code=c.parent_code
        )
        for c in services.catalog.classifications()
    ]


@router.get("/datasets", response_model=DatasetSearch)
def search_datasets(
    services: ServicesDep,
    actor: PrincipalDep,
    q: str = "",
    department: str | None = None,
    classification: str | None = None,
    sharing_type: str | None = None,
    open_type: str | None = None,
    format: str | None = None,
    update_cycle: str | None = None,
    security_grade: str | None = None,
    status: str = "published",
    limit: Annotated[int, Query()] = 20,
    offset: Annotated[int, Query()] = 0,
    sort: str = "relevance",
) -> DatasetSearch:
    """Search the catalog in Chinese, pinyin or English, with facet filters and counts."""
    query = SearchQuery(
        q=q,
        department=department,
        classification=classification,
        sharing_type=sharing_type,
        open_type=open_type,
        format=format,
        update_cycle=update_cycle,
        security_grade=security_grade,
        status=status,
        limit=limit,
        offset=offset,
        sort=sort,
    )
    result = services.catalog.search(actor, query)
    return DatasetSearch.of(result, limit=limit, offset=offset)


@router.post("/datasets", response_model=DatasetPublic, status_code=201)
def create_dataset(
    body: DatasetCreate, services: ServicesDep, actor: PrincipalDep
) -> DatasetPublic:
    """Register a new draft catalog entry for a department."""
    entry = services.catalog.create(
        actor, department=body.department, fields=_fields(body), code=body.code
    )
    return DatasetPublic.of(entry)


@router.get("/datasets/{entry_id}", response_model=DatasetPublic)
def get_dataset(entry_id: int, services: ServicesDep, actor: PrincipalDep) -> DatasetPublic:
    """One catalog entry with all its metadata and data items."""
    return DatasetPublic.of(services.catalog.get(actor, entry_id))


@router.put("/datasets/{entry_id}", response_model=DatasetPublic)
def update_dataset(
    entry_id: int, body: DatasetFieldsIn, services: ServicesDep, actor: PrincipalDep
) -> DatasetPublic:
    """Replace an entry's metadata; a published entry gets a new version."""
    return DatasetPublic.of(services.catalog.update(actor, entry_id, _fields(body)))


@router.get("/datasets/{entry_id}/catalog-versions", response_model=list[VersionPublic])
def list_versions(entry_id: int, services: ServicesDep, actor: PrincipalDep) -> list[VersionPublic]:
    """Published versions with content hashes and diffs, newest first."""
    return [VersionPublic.of(v) for v in services.catalog.versions(actor, entry_id)]


@router.post("/datasets/{entry_id}/submit", response_model=DatasetPublic)
def submit_dataset(entry_id: int, services: ServicesDep, actor: PrincipalDep) -> DatasetPublic:
    """Submit a draft for review."""
    return DatasetPublic.of(services.catalog.submit(actor, entry_id))


@router.post("/datasets/{entry_id}/publish", response_model=DatasetPublic)
def publish_dataset(entry_id: int, services: ServicesDep, actor: PrincipalDep) -> DatasetPublic:
    """Publish a submitted entry as a new version."""
    return DatasetPublic.of(services.catalog.publish(actor, entry_id))


@router.post("/datasets/{entry_id}/return", response_model=DatasetPublic)
def return_dataset(
    entry_id: int,
    services: ServicesDep,
    actor: PrincipalDep,
    body: Annotated[Decision | None, Body()] = None,
) -> DatasetPublic:
    """Send a submitted or offline entry back to draft, with a reason."""
    reason = body.reason if body else ""
    return DatasetPublic.of(services.catalog.return_to_draft(actor, entry_id, reason))


@router.post("/datasets/{entry_id}/offline", response_model=DatasetPublic)
def take_dataset_offline(
    entry_id: int,
    services: ServicesDep,
    actor: PrincipalDep,
    body: Annotated[Decision | None, Body()] = None,
) -> DatasetPublic:
    """Take a published entry offline."""
    reason = body.reason if body else ""
    return DatasetPublic.of(services.catalog.take_offline(actor, entry_id, reason))


@router.get("/stats", response_model=Stats)
def stats(services: ServicesDep, actor: PrincipalDep) -> Stats:
    """The city's catalog figures."""
    actor.require(Permission.CATALOG_READ)
    return Stats(**services.catalog.stats())
