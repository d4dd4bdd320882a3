"""Reading remote portals for harvesting: fetching (CKAN Action API, DCAT pages) and the pure
mapping of remote datasets to national-catalog fields."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS

from quancheng.catalog.model import NAME_MAX, ResourceFormat, UpdateCycle
from quancheng.errors import BadRequest

KINDS = ("ckan", "dcat")
ACTIONS = ("created", "updated", "unchanged", "removed", "failed", "skipped")
# Defaults until settings carry them (QC_HARVEST_TIMEOUT_SECONDS, QC_HARVEST_MAX_BYTES,
# QC_HARVEST_MAX_DATASETS).
TIMEOUT_SECONDS = 20.0
MAX_BYTES = 20 * 1024 * 1024
MAX_DATASETS = 5000
MAX_PAGES = 1000
REMOTE_ID_MAX = 300  # harvest_records.remote_id
CKAN_ROWS = 100
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
EU_ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
HYDRA = "http://www.w3.org/ns/hydra/core#"
# EU frequency authority codes (and CKAN `frequency` extras) → our update cycle.
FREQUENCIES: dict[str, UpdateCycle] = {
    "UPDATE_CONT": UpdateCycle.REALTIME,
    "CONT": UpdateCycle.REALTIME,
    "HOURLY": UpdateCycle.REALTIME,
    "DAILY": UpdateCycle.DAILY,
    "DAILY_2": UpdateCycle.DAILY,
    "WEEKLY": UpdateCycle.WEEKLY,
    "WEEKLY_2": UpdateCycle.WEEKLY,
    "WEEKLY_3": UpdateCycle.WEEKLY,
    "BIWEEKLY": UpdateCycle.WEEKLY,
    "MONTHLY": UpdateCycle.MONTHLY,
    "MONTHLY_2": UpdateCycle.MONTHLY,
    "MONTHLY_3": UpdateCycle.MONTHLY,
    "BIMONTHLY": UpdateCycle.MONTHLY,
    "QUARTERLY": UpdateCycle.QUARTERLY,
    "ANNUAL_2": UpdateCycle.SEMIANNUAL,
    "ANNUAL_3": UpdateCycle.YEARLY,
    "ANNUAL": UpdateCycle.YEARLY,
    "BIENNIAL": UpdateCycle.YEARLY,
}
# The catalog has no "irregular" cycle: a dataset that names none is read as yearly.
DEFAULT_CYCLE = UpdateCycle.YEARLY
SPREADSHEETS = frozenset({"CSV", "XLS", "XLSX", "ODS", "TSV", "PARQUET"})
SERVICES = frozenset({"JSON", "API", "GEOJSON", "XML", "WMS", "WFS", "SPARQL"})
# Datastore field types (CKAN's and ours) → catalog data types.
FIELD_TYPES = {
    "int": "I",
    "int4": "I",
    "int8": "I",
    "integer": "I",
    "bigint": "I",
    "float": "F",
    "float8": "F",
    "double": "F",
    "numeric": "F",
    "number": "F",
    "bool": "L",
    "boolean": "L",
    "date": "D",
    "timestamp": "T",
    "datetime": "T",
}
RDF_SYNTAX = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/n-triples": "nt",
}
SUFFIX_SYNTAX = {".ttl": "turtle", ".jsonld": "json-ld", ".rdf": "xml", ".xml": "xml"}


class HarvestFetchError(Exception):
    """The remote portal could not be read (unreachable, refused, too big, not parseable)."""


@dataclass(frozen=True)
class Fetched:
    """A response body and its media type."""

    body: bytes
    content_type: str = ""


Fetch = Callable[[str], Fetched]


@dataclass(frozen=True)
class RemoteDataset:
    """What a remote portal says about one dataset, already in our vocabulary."""

    remote_id: str
    title: str
    description: str = ""
    title_en: str = ""
    description_en: str = ""
    keywords: tuple[str, ...] = ()
    publisher: str = ""
    license: str = ""
    landing_page: str = ""
    modified: str = ""
    update_cycle: UpdateCycle = DEFAULT_CYCLE
    format: ResourceFormat = ResourceFormat.ELECTRONIC_FILE
    api: bool = False
    is_open: bool = True
    classification_code: str = ""
    items: tuple[dict[str, Any], ...] = ()
    datastore_resource: str = ""
    # Set when the remote description cannot be imported; the run reports it as failed.
    error: str = ""


@dataclass
class RunReport:
    """The outcome of one run, as it is stored on the HarvestRun."""

    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, ds: RemoteDataset | str, action: str, **extra: Any) -> None:
        """Record what happened to one remote dataset."""
        if isinstance(ds, RemoteDataset):
            base = {"remote_id": ds.remote_id, "title": ds.title, "landing_page": ds.landing_page}
        else:
            base = {"remote_id": ds, "title": "", "landing_page": ""}
        self.items.append({**base, "action": action, **extra})

    def count(self, action: str) -> int:
        """How many datasets got this action."""
        return sum(1 for i in self.items if i["action"] == action)


# -- pure mapping ------------------------------------------------------------------------


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host, or BadRequest."""
    url = url.strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 1000:
        raise BadRequest(
            "the source URL must be an absolute http or https URL",
            code="bad_harvest_url",
            details={"url": url[:200]},
        )
    return url


def web_url(url: str) -> str:
    """A remote link we may show on our pages: http(s) only (never javascript: and the like)."""
    try:
        return check_url(url)
    except BadRequest:
        return ""


def same_origin(url: str, base: str) -> bool:
    """Whether url is on the scheme, host and port of base (no other network is touched)."""
    a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port) and a.scheme in (
        "http",
        "https",
    )


def ckan_api_base(url: str) -> str:
    """The `/api/3/action/` prefix of a CKAN portal given its site URL or its API URL."""
    trimmed = url.rstrip("/")
    for suffix in ("/api/3/action", "/api/action", "/api/3", "/api"):
        if trimmed.endswith(suffix):
            trimmed = trimmed[: -len(suffix)]
            break
    return trimmed + "/api/3/action/"


def cycle_of(value: str) -> UpdateCycle:
    """An update cycle from an EU frequency URI/code, a CKAN frequency or one of ours."""
    text = value.strip()
    if not text:
        return DEFAULT_CYCLE
    try:
        return UpdateCycle(text.lower())
    except ValueError:
        pass
    code = text.rsplit("/", 1)[-1].upper()
    return FREQUENCIES.get(code, DEFAULT_CYCLE)


def format_of(formats: Iterable[str]) -> tuple[ResourceFormat, bool]:
    """The resource format an entry's distributions suggest, and whether one is an API."""
    names = {f.strip().rsplit("/", 1)[-1].upper() for f in formats if f and f.strip()}
    api = bool(names & SERVICES)
    if names & SPREADSHEETS:
        return ResourceFormat.SPREADSHEET, api
    if api:
        return ResourceFormat.SERVICE_API, api
    return ResourceFormat.ELECTRONIC_FILE, api


def _clean_keywords(words: Iterable[Any]) -> tuple[str, ...]:
    out = [str(w).strip()[:100] for w in words if str(w).strip()]
    return tuple(dict.fromkeys(out))[:50]


def parse_ckan_package(pkg: Mapping[str, Any]) -> RemoteDataset:
    """A CKAN package dict (from package_search or package_show) as a remote dataset."""
    extras = {
        str(e.get("key")): str(e.get("value") or "")
        for e in pkg.get("extras") or []
        if isinstance(e, Mapping)
    }
    remote_id = str(pkg.get("id") or pkg.get("name") or "").strip()
    if not remote_id:
        raise ValueError("a package without id or name")
    if len(remote_id) > REMOTE_ID_MAX:
        return RemoteDataset(
            remote_id=remote_id[:REMOTE_ID_MAX],
            title=str(pkg.get("title") or "")[:NAME_MAX],
            error=f"the remote id is longer than {REMOTE_ID_MAX} characters",
        )
    resources = [r for r in pkg.get("resources") or [] if isinstance(r, Mapping)]
    fmt, api = format_of(str(r.get("format") or "") for r in resources)
    if extras.get("resource_format") in {f.value for f in ResourceFormat}:
        fmt = ResourceFormat(extras["resource_format"])
    if extras.get("open_type"):
        is_open = extras["open_type"] == "open"
    else:
        is_open = pkg.get("isopen") is not False and pkg.get("private") is not True
    org = pkg.get("organization") if isinstance(pkg.get("organization"), Mapping) else {}
    publisher = str((org or {}).get("title") or pkg.get("author") or "")
    datastore = next((str(r.get("id")) for r in resources if r.get("datastore_active")), "")
    return RemoteDataset(
        remote_id=remote_id,
        title=str(pkg.get("title") or pkg.get("name") or remote_id).strip(),
        description=str(pkg.get("notes") or "").strip(),
        title_en=extras.get("name_en", ""),
        description_en=extras.get("abstract_en", ""),
        keywords=_clean_keywords(
            t.get("name") if isinstance(t, Mapping) else t for t in pkg.get("tags") or []
        ),
        publisher=publisher,
        license=str(pkg.get("license_title") or pkg.get("license_id") or ""),
        landing_page=web_url(str(pkg.get("url") or "")),
        modified=str(pkg.get("metadata_modified") or ""),
        update_cycle=cycle_of(
            extras.get("update_cycle")
            or extras.get("frequency")
            or extras.get("accrual_periodicity")
            or ""
        ),
        format=fmt,
        api=api or bool(datastore),
        is_open=is_open,
        classification_code=extras.get("classification_code", ""),
        datastore_resource=datastore,
    )


def items_from_fields(fields: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Data items from a datastore's field list (CKAN `datastore_search` `fields`)."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for f in fields:
        column = str(f.get("id") or "").strip()
        # CKAN's data dictionary keeps the human name in info.label; the id is a column name.
        info = f.get("info") if isinstance(f.get("info"), Mapping) else {}
        name = str((info or {}).get("label") or column).strip()[:100].strip()
        if not name or column == "_id" or name in seen:
            continue
        seen.add(name)
        kind = FIELD_TYPES.get(str(f.get("type") or "").lower(), "M")
        notes = str((info or {}).get("notes") or "").strip()[:2000]
        items.append(
            {"name": name, "data_type": kind, "description": notes, "sensitivity": "public"}
        )
    return tuple(items[:500])


def _text(g: Graph, node: Any, prop: URIRef) -> tuple[str, str]:
    """The Chinese (or untagged) and the English literal of a property."""
    zh = en = other = ""
    for value in g.objects(node, prop):
        if not isinstance(value, Literal):
            continue
        lang = (value.language or "").lower()
        if lang.startswith("zh") and not zh:
            zh = str(value)
        elif lang.startswith("en") and not en:
            en = str(value)
        elif not other:
            other = str(value)
    return (zh or other or en).strip(), (en if (zh or other) else "").strip()


def parse_dcat_dataset(g: Graph, ds: Any) -> RemoteDataset:
    """One dcat:Dataset node of a graph as a remote dataset."""
    identifier = next((str(v) for v in g.objects(ds, DCTERMS.identifier) if str(v).strip()), "")
    remote_id = (identifier or str(ds)).strip()
    if len(remote_id) > REMOTE_ID_MAX:
        return RemoteDataset(
            remote_id=remote_id[:REMOTE_ID_MAX],
            title=_text(g, ds, DCTERMS.title)[0][:NAME_MAX],
            error=f"the remote id is longer than {REMOTE_ID_MAX} characters",
        )
    title, title_en = _text(g, ds, DCTERMS.title)
    description, description_en = _text(g, ds, DCTERMS.description)
    publisher = ""
    for agent in g.objects(ds, DCTERMS.publisher):
        publisher = _text(g, agent, FOAF.name)[0] or publisher
    formats: list[str] = []
    for dist in g.objects(ds, DCAT.distribution):
        formats += [str(v) for v in g.objects(dist, DCTERMS.format)]
        formats += [str(v).rsplit("/", 1)[-1] for v in g.objects(dist, DCAT.mediaType)]
        if any(True for _ in g.objects(dist, DCAT.accessService)):
            formats.append("API")
    fmt, api = format_of(formats)
    rights = [str(v) for v in g.objects(ds, DCTERMS.accessRights)]
    is_open = not rights or any(r == EU_ACCESS + "PUBLIC" for r in rights)
    theme = next(
        (str(n) for t in g.objects(ds, DCAT.theme) for n in g.objects(t, SKOS.notation)), ""
    )
    licenses = [
        str(v) for d in g.objects(ds, DCAT.distribution) for v in g.objects(d, DCTERMS.license)
    ]
    licenses += [str(v) for v in g.objects(ds, DCTERMS.license)]
    return RemoteDataset(
        remote_id=remote_id,
        title=title or remote_id,
        description=description,
        title_en=title_en,
        description_en=description_en,
        keywords=_clean_keywords(sorted(str(v) for v in g.objects(ds, DCAT.keyword))),
        publisher=publisher,
        license=licenses[0] if licenses else "",
        landing_page=web_url(next((str(v) for v in g.objects(ds, DCAT.landingPage)), "")),
        modified=next((str(v) for v in g.objects(ds, DCTERMS.modified)), ""),
        update_cycle=cycle_of(
            next((str(v) for v in g.objects(ds, DCTERMS.accrualPeriodicity)), "")
        ),
        format=fmt,
        api=api,
        is_open=is_open,
        classification_code=theme,
    )


def parse_dcat_page(g: Graph) -> tuple[list[RemoteDataset], list[str]]:
    """The datasets of one DCAT page (its catalogs' or, lacking one, every dcat:Dataset) and
    the next pages hydra names."""
    nodes = [d for c in g.subjects(RDF.type, DCAT.Catalog) for d in g.objects(c, DCAT.dataset)]
    if not nodes:
        nodes = list(g.subjects(RDF.type, DCAT.Dataset))
    datasets = [parse_dcat_dataset(g, n) for n in dict.fromkeys(nodes)]
    following = [str(v) for v in g.objects(None, URIRef(HYDRA + "nextPage"))]
    following += [str(v) for v in g.objects(None, URIRef(HYDRA + "next"))]
    return datasets, following


def entry_fields_for(
    ds: RemoteDataset, *, classification_code: str, source_name: str
) -> dict[str, Any]:
    """The catalog fields a remote dataset becomes (national fields get open-data defaults)."""
    name = ds.title.strip()[:NAME_MAX].strip() or ds.remote_id[:NAME_MAX]
    abstract = (ds.description.strip() or name)[:4000]
    source_system = f"{source_name}：{ds.publisher}" if ds.publisher else source_name
    items = list(ds.items) or [
        {
            "name": "数据内容",
            "name_en": "Content",
            "data_type": "M",
            "description": "数据见来源门户的下载与接口",
            "sensitivity": "public",
        }
    ]
    return {
        "name": name,
        "name_en": ds.title_en[:300],
        "abstract": abstract,
        "abstract_en": ds.description_en[:4000],
        "classification_code": classification_code,
        "format": ds.format.value,
        "sharing_type": "unconditional",
        "sharing_method": "api" if ds.api else "file",
        "open_type": "open",
        "update_cycle": ds.update_cycle.value,
        "security_grade": "general",
        "source_system": source_system[:200],
        "keywords": list(ds.keywords),
        "data_items": items,
    }


def fields_hash(fields: Mapping[str, Any], ds: RemoteDataset) -> str:
    """What decides "changed": the fields we write plus what the report keeps."""
    payload = {"fields": fields, "landing_page": ds.landing_page, "license": ds.license}
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# -- network -----------------------------------------------------------------------------


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only within the origin asked for."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if not same_origin(newurl, req.full_url):
            raise HarvestFetchError(f"refused a redirect to another site: {newurl[:200]}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def http_fetch(*, timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_BYTES) -> Fetch:
    """A fetcher: GET over http(s) with a timeout and a size limit, no other schemes."""
    # No proxy handler from the environment and no file:/ftp: handlers: only the given site.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        _SameOriginRedirects(),
    ):
        opener.add_handler(handler)

    def fetch(url: str) -> Fetched:
        check_url(url)
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            url,
            headers={
                "Accept": "application/json, text/turtle;q=0.9, */*;q=0.5",
                "User-Agent": "quancheng-harvester",
            },
        )
        try:
            with opener.open(request, timeout=timeout) as response:
                body = response.read(max_bytes + 1)
                media = str(response.headers.get("Content-Type") or "")
        except HarvestFetchError:
            raise
        except urllib.error.HTTPError as exc:
            raise HarvestFetchError(f"HTTP {exc.code} from {url[:200]}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise HarvestFetchError(f"cannot reach {url[:200]}: {reason}") from exc
        if len(body) > max_bytes:
            raise HarvestFetchError(f"the response of {url[:200]} is over {max_bytes} bytes")
        return Fetched(body, media.split(";")[0].strip().lower())

    return fetch


def _json(fetched: Fetched, url: str) -> Any:
    try:
        return json.loads(fetched.body)
    except ValueError as exc:
        raise HarvestFetchError(f"{url[:200]} did not answer JSON") from exc


def read_ckan(
    fetch: Fetch, url: str, options: Mapping[str, Any], *, limit: int = MAX_DATASETS
) -> list[RemoteDataset]:
    """Every dataset of a CKAN portal through paged package_search (fq from the options)."""
    api = ckan_api_base(url)
    fq = str(options.get("fq") or "")
    if options.get("organization"):
        fq = f"{fq} organization:{options['organization']}".strip()
    out: dict[str, RemoteDataset] = {}
    start = 0
    while True:
        query = urllib.parse.urlencode(
            {
                "q": "*:*",
                "rows": CKAN_ROWS,
                "start": start,
                "sort": "name asc",
                **({"fq": fq} if fq else {}),
            }
        )
        page_url = f"{api}package_search?{query}"
        envelope = _json(fetch(page_url), page_url)
        if not isinstance(envelope, Mapping) or not envelope.get("success"):
            raise HarvestFetchError(f"{page_url[:200]} did not answer a CKAN result")
        result = envelope.get("result") or {}
        packages = result.get("results") or []
        for pkg in packages:
            if isinstance(pkg, Mapping):
                try:
                    ds = parse_ckan_package(pkg)
                except ValueError:
                    continue
                out.setdefault(ds.remote_id, ds)
        start += len(packages)
        if not packages or start >= int(result.get("count") or 0):
            break
        if len(out) > limit:
            raise HarvestFetchError(f"the source lists more than {limit} datasets")
    return list(out.values())


def ckan_items(fetch: Fetch, url: str, resource_id: str) -> tuple[dict[str, Any], ...]:
    """The data items of a CKAN datastore resource (its fields), or none if unreadable."""
    query = urllib.parse.urlencode({"resource_id": resource_id, "limit": 0})
    target = f"{ckan_api_base(url)}datastore_search?{query}"
    try:
        envelope = _json(fetch(target), target)
    except HarvestFetchError:
        return ()
    result = envelope.get("result") if isinstance(envelope, Mapping) else None
    fields = result.get("fields") if isinstance(result, Mapping) else None
    return items_from_fields([f for f in fields or [] if isinstance(f, Mapping)])


def read_dcat(fetch: Fetch, url: str, *, limit: int = MAX_DATASETS) -> list[RemoteDataset]:
    """Every dataset of a DCAT feed, following hydra next pages on the same site."""
    out: dict[str, RemoteDataset] = {}
    queue: list[str] = [url]
    seen: set[str] = set()
    while queue:
        page_url = queue.pop(0)
        if page_url in seen or len(seen) >= MAX_PAGES:
            continue
        seen.add(page_url)
        fetched = fetch(page_url)
        suffix = "." + urllib.parse.urlsplit(page_url).path.rsplit(".", 1)[-1].lower()
        syntax = RDF_SYNTAX.get(fetched.content_type) or SUFFIX_SYNTAX.get(suffix, "turtle")
        if syntax == "json-ld":
            _refuse_remote_contexts(fetched.body, page_url)
        graph = Graph()
        try:
            graph.parse(data=fetched.body, format=syntax, publicID=page_url)
        except Exception as exc:
            raise HarvestFetchError(f"{page_url[:200]} is not readable RDF: {exc}") from exc
        datasets, following = parse_dcat_page(graph)
        for ds in datasets:
            out.setdefault(ds.remote_id, ds)
        if len(out) > limit:
            raise HarvestFetchError(f"the source lists more than {limit} datasets")
        queue += [u for u in following if same_origin(u, url) and u not in seen]
    return list(out.values())


def _refuse_remote_contexts(body: bytes | str, page_url: str) -> None:
    """A JSON-LD `@context` naming a document would make the parser fetch it from anywhere."""
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise HarvestFetchError(f"{page_url[:200]} is not readable JSON-LD: {exc}") from exc
    stack: list[Any] = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            context = node.get("@context")
            refs = context if isinstance(context, list) else [context]
            if any(isinstance(ref, str) for ref in refs):
                raise HarvestFetchError(
                    f"{page_url[:200]} names a remote JSON-LD @context; only inline contexts "
                    "are read (the harvester fetches nothing but the source)"
                )
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
