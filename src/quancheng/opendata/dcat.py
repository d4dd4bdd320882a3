"""DCAT-AP 3.0 graphs of the open catalog and its entries (pure builders over rdflib)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD, NamespaceManager

from quancheng.catalog.model import PORTAL_OPEN_TYPES, OpenType, UpdateCycle

if TYPE_CHECKING:
    from rdflib.namespace import _NamespaceSetString  # type: ignore[attr-defined]

    from quancheng.db.models import CatalogEntry, Classification, Department

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU_FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EU_ACCESS = Namespace("http://publications.europa.eu/resource/authority/access-right/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
IANA = "https://www.iana.org/assignments/media-types/"

# The licence the platform publishes open data under, until the city configures its own.
DEFAULT_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
# Conditional data is used under the data-use agreement an applicant accepts, never the open
# licence: the agreement's text, served at this path of the portal, is its licence document.
AGREEMENT_PATH = "/api/v1/portal/agreement"
PAGE_SIZE = 100

FREQUENCIES: dict[UpdateCycle, str] = {
    UpdateCycle.REALTIME: "UPDATE_CONT",
    UpdateCycle.DAILY: "DAILY",
    UpdateCycle.WEEKLY: "WEEKLY",
    UpdateCycle.MONTHLY: "MONTHLY",
    UpdateCycle.QUARTERLY: "QUARTERLY",
    UpdateCycle.SEMIANNUAL: "ANNUAL_2",
    UpdateCycle.YEARLY: "ANNUAL",
}
# Export format -> (EU file type, IANA media type); NDJSON has no registered media type,
# so it is left out of the DCAT description (the export still serves it).
DOWNLOADS: dict[str, tuple[str, str]] = {
    "csv": ("CSV", "text/csv"),
    "json": ("JSON", "application/json"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "parquet": ("PARQUET", "application/vnd.apache.parquet"),
}
RDF_FORMATS: dict[str, tuple[str, str]] = {
    "ttl": ("turtle", "text/turtle; charset=utf-8"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdf": ("pretty-xml", "application/rdf+xml"),
}


@dataclass(frozen=True)
class Agent:
    """A publisher: a department (or the platform authority) by key and names."""

    key: str
    name: str
    name_en: str = ""

    @classmethod
    def of(cls, department: Department) -> Agent:
        """From a department row."""
        return cls(key=department.key, name=department.name, name_en=department.name_en)


@dataclass(frozen=True)
class Theme:
    """A node of the city's classification."""

    code: str
    name: str
    name_en: str = ""

    @classmethod
    def of(cls, node: Classification) -> Theme:
        """From a classification row."""
        return cls(code=node.code, name=node.name, name_en=node.name_en)


@dataclass(frozen=True)
class OpenEntry:
    """What DCAT says about one public entry."""

    id: int
    code: str
    name: str
    name_en: str
    abstract: str
    abstract_en: str
    keywords: tuple[str, ...]
    publisher: Agent
    theme: Theme
    open_type: str
    open_conditions: str
    update_cycle: str
    issued: datetime | None
    modified: datetime
    has_data: bool

    @classmethod
    def of(cls, entry: CatalogEntry, *, has_data: bool) -> OpenEntry:
        """From an entry loaded with its department and classification."""
        return cls(
            id=entry.id,
            code=entry.code,
            name=entry.name,
            name_en=entry.name_en,
            abstract=entry.abstract,
            abstract_en=entry.abstract_en,
            keywords=tuple(entry.keywords or ()),
            publisher=Agent.of(entry.department),
            theme=Theme.of(entry.classification),
            open_type=entry.open_type,
            open_conditions=entry.open_conditions,
            update_cycle=entry.update_cycle,
            issued=entry.published_at,
            modified=entry.updated_at,
            has_data=has_data,
        )

    @property
    def is_public(self) -> bool:
        """Whether the entry belongs in the open catalog at all."""
        return self.open_type in PORTAL_OPEN_TYPES


@dataclass(frozen=True)
class Portal:
    """The open-data portal: where it lives, its names, and who runs it."""

    base_url: str
    city_name: str
    city_name_en: str
    authority: Agent
    license: str = DEFAULT_LICENSE

    def url(self, path: str) -> URIRef:
        """An absolute URL on the portal."""
        return URIRef(self.base_url.rstrip("/") + path)

    def license_of(self, entry: OpenEntry) -> str:
        """The licence of an entry's data: the open licence, or the conditional agreement."""
        if entry.open_type == OpenType.CONDITIONAL.value:
            return str(self.url(AGREEMENT_PATH))
        return self.license


@dataclass(frozen=True)
class Page:
    """Which page of the catalog a graph describes."""

    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def last(self) -> int:
        """The number of the last page (1 for an empty catalog)."""
        return max(1, -(-self.total // self.size))


class _Prefixes(NamespaceManager):
    """rdflib's prefix lookup, answering at once for URIs under no bound namespace.

    rdflib remembers every namespace it has split off a URI in a trie whose nodes it scans
    linearly, so writing a catalog of n datasets (each with URIs of its own, /dataset/{id}/...)
    takes O(n^2) `startswith` calls: 85% of the Turtle serialization of a 1,000-entry page.
    A URI that no bound namespace prefixes can have no prefix, so unless the caller asks for
    one to be generated the answer is known ("no prefix") without touching the trie.
    """

    def __init__(self, graph: Graph, bind_namespaces: _NamespaceSetString) -> None:
        self._bound: tuple[str, ...] | None = None
        super().__init__(graph, bind_namespaces)

    def bind(self, prefix: str | None, namespace: Any, *args: Any, **kwargs: Any) -> None:
        """Bind as rdflib does, and forget the bound namespaces seen so far."""
        self._bound = None
        super().bind(prefix, namespace, *args, **kwargs)

    def compute_qname(self, uri: str, generate: bool = True) -> tuple[str, URIRef, str]:
        """rdflib's (prefix, namespace, name); KeyError at once when no prefix can exist."""
        if not generate:
            if self._bound is None:
                self._bound = tuple(str(ns) for _, ns in self.namespaces())
            # str's own startswith: rdflib's URIRef.startswith takes no tuple of prefixes.
            if not str.startswith(uri, self._bound):
                raise KeyError(f"No known prefix for {uri} and generate=False")
        return super().compute_qname(uri, generate)


def new_graph() -> Graph:
    """An empty graph with the prefixes readers expect."""
    g = Graph(bind_namespaces="none")
    g.namespace_manager = _Prefixes(g, "rdflib")
    for prefix, ns in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("skos", SKOS),
        ("vcard", VCARD),
        ("hydra", HYDRA),
    ):
        g.bind(prefix, ns)
    return g


def catalog_graph(
    portal: Portal, entries: Sequence[OpenEntry], page: Page, *, fmt: str = "ttl"
) -> Graph:
    """One page of the open catalog: the catalog, its paging and each public dataset."""
    g = new_graph()
    catalog = portal.url("/catalog")
    g.add((catalog, RDF.type, DCAT.Catalog))
    _bilingual(
        g,
        catalog,
        DCTERMS.title,
        f"{portal.city_name}公共数据开放目录",
        f"{portal.city_name_en} open data catalogue",
    )
    _bilingual(
        g,
        catalog,
        DCTERMS.description,
        f"{portal.city_name}无条件开放和有条件开放的公共数据资源。",
        f"Public data of {portal.city_name_en} that is open or open on conditions.",
    )
    g.add((catalog, DCTERMS.publisher, _agent(g, portal, portal.authority)))
    homepage = portal.url("/")
    g.add((catalog, FOAF.homepage, homepage))
    g.add((homepage, RDF.type, FOAF.Document))
    g.add((catalog, DCTERMS.license, _license(g, portal.license)))
    for language in (EU_LANGUAGE.ZHO, EU_LANGUAGE.ENG):
        g.add((catalog, DCTERMS.language, language))
        g.add((language, RDF.type, DCTERMS.LinguisticSystem))
    g.add((catalog, DCAT.themeTaxonomy, _scheme(g, portal)))
    g.add((catalog, DCAT.service, _rows_service(g, portal, None)))
    for entry in entries:
        g.add((catalog, DCAT.dataset, _dataset(g, portal, entry)))
    _paging(g, portal, page, fmt)
    return g


def dataset_graph(portal: Portal, entry: OpenEntry) -> Graph:
    """One public entry as a dcat:Dataset with its distributions and data service."""
    if not entry.is_public:
        raise ValueError(f"entry {entry.code} is not open data")
    g = new_graph()
    _dataset(g, portal, entry)
    return g


def serialize(graph: Graph, fmt: str) -> bytes:
    """The graph as Turtle (`ttl`), JSON-LD (`jsonld`) or RDF/XML (`rdf`)."""
    syntax, _ = RDF_FORMATS[fmt]
    return graph.serialize(format=syntax, encoding="utf-8")


def dataset_uri(portal: Portal, entry: OpenEntry) -> URIRef:
    """The identifier of an entry's dataset; the id, as resource codes hold slashes."""
    return portal.url(f"/dataset/{entry.id}")


def _dataset(g: Graph, portal: Portal, entry: OpenEntry) -> URIRef:
    ds = dataset_uri(portal, entry)
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.identifier, Literal(entry.code)))
    _bilingual(g, ds, DCTERMS.title, entry.name, entry.name_en)
    _bilingual(g, ds, DCTERMS.description, entry.abstract, entry.abstract_en)
    for word in entry.keywords:
        g.add((ds, DCAT.keyword, Literal(word, lang=_lang(word))))
    g.add((ds, DCTERMS.publisher, _agent(g, portal, entry.publisher)))
    g.add((ds, DCAT.contactPoint, _contact(g, portal, entry.publisher)))
    cycle = UpdateCycle(entry.update_cycle)
    frequency = EU_FREQUENCY[FREQUENCIES[cycle]]
    g.add((ds, DCTERMS.accrualPeriodicity, frequency))
    g.add((frequency, RDF.type, DCTERMS.Frequency))
    if entry.issued is not None:
        g.add((ds, DCTERMS.issued, Literal(entry.issued, datatype=XSD.dateTime)))
    g.add((ds, DCTERMS.modified, Literal(entry.modified, datatype=XSD.dateTime)))
    g.add((ds, DCAT.theme, _theme(g, portal, entry.theme)))
    # The portal's page, public whether or not the internal catalog (/catalog) is.
    landing = portal.url(f"/open/datasets/{entry.id}")
    g.add((ds, DCAT.landingPage, landing))
    g.add((landing, RDF.type, FOAF.Document))
    open_data = entry.open_type == OpenType.OPEN.value
    rights = _rights(g, entry)
    g.add((ds, DCTERMS.accessRights, rights))
    service = _rows_service(g, portal, entry)
    if open_data and entry.has_data:
        for fmt, (file_type, media) in DOWNLOADS.items():
            url = portal.url(f"/api/v1/datasets/{entry.id}/export.{fmt}")
            dist = URIRef(f"{ds}/distribution/{fmt}")
            _distribution(g, portal, entry, dist, url, file_type, media, rights)
            g.add((dist, DCAT.downloadURL, _resource(g, url)))
            g.add((ds, DCAT.distribution, dist))
    # The rows API is the one way in for conditional data (with a granted token); for open
    # data it is the live alternative to the downloads.
    api = URIRef(f"{ds}/distribution/api")
    rows = portal.url(f"/api/v1/datasets/{entry.id}/rows")
    _distribution(g, portal, entry, api, rows, "JSON", "application/json", rights)
    g.add((api, DCAT.accessService, service))
    g.add((ds, DCAT.distribution, api))
    return ds


def _distribution(
    g: Graph,
    portal: Portal,
    entry: OpenEntry,
    dist: URIRef,
    url: URIRef,
    file_type: str,
    media: str,
    rights: URIRef,
) -> None:
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCAT.accessURL, _resource(g, url)))
    g.add((dist, DCTERMS.format, _file_type(g, file_type)))
    media_uri = URIRef(IANA + media)
    g.add((dist, DCAT.mediaType, media_uri))
    g.add((media_uri, RDF.type, DCTERMS.MediaType))
    g.add((dist, DCTERMS.license, _license(g, portal.license_of(entry))))
    g.add((dist, DCTERMS.rights, rights))
    _bilingual(g, dist, DCTERMS.title, _DIST_TITLES[file_type][0], _DIST_TITLES[file_type][1])


_DIST_TITLES = {
    "CSV": ("CSV 文件下载", "CSV download"),
    "JSON": ("JSON 数据", "JSON data"),
    "XLSX": ("Excel 文件下载", "Excel download"),
    "PARQUET": ("Parquet 文件下载", "Parquet download"),
}


def _rows_service(g: Graph, portal: Portal, entry: OpenEntry | None) -> URIRef:
    """The rows API: one data service for the portal, serving every dataset it lists."""
    service = portal.url("/api/v1/datasets")
    g.add((service, RDF.type, DCAT.DataService))
    _bilingual(
        g,
        service,
        DCTERMS.title,
        f"{portal.city_name}公共数据接口",
        f"{portal.city_name_en} open data API",
    )
    g.add((service, DCAT.endpointURL, _resource(g, service)))
    description = _resource(g, portal.url("/api/v1/openapi.json"))
    g.add((service, DCAT.endpointDescription, description))
    g.add((service, DCTERMS.license, _license(g, portal.license)))
    if entry is not None:
        g.add((service, DCAT.servesDataset, dataset_uri(portal, entry)))
    return service


def _rights(g: Graph, entry: OpenEntry) -> URIRef:
    rights = EU_ACCESS.PUBLIC if entry.open_type == OpenType.OPEN.value else EU_ACCESS.RESTRICTED
    g.add((rights, RDF.type, DCTERMS.RightsStatement))
    if entry.open_type == OpenType.CONDITIONAL.value and entry.open_conditions:
        g.add((rights, SKOS.note, Literal(entry.open_conditions, lang="zh")))
    return rights


def _agent(g: Graph, portal: Portal, agent: Agent) -> URIRef:
    node = portal.url(f"/departments/{agent.key}")
    g.add((node, RDF.type, FOAF.Agent))
    _bilingual(g, node, FOAF.name, agent.name, agent.name_en)
    return node


def _contact(g: Graph, portal: Portal, agent: Agent) -> URIRef:
    node = portal.url(f"/departments/{agent.key}#contact")
    # vcard:Kind is what the shapes check (they do not infer it from the subclass).
    g.add((node, RDF.type, VCARD.Kind))
    g.add((node, RDF.type, VCARD.Organization))
    _bilingual(g, node, VCARD.fn, agent.name, agent.name_en)
    g.add((node, VCARD.hasURL, portal.url(f"/open/departments/{agent.key}")))
    return node


def _scheme(g: Graph, portal: Portal) -> URIRef:
    scheme = portal.url("/classification")
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    _bilingual(
        g,
        scheme,
        DCTERMS.title,
        f"{portal.city_name}政务数据资源目录分类",
        f"{portal.city_name_en} data resource classification",
    )
    return scheme


def _theme(g: Graph, portal: Portal, theme: Theme) -> URIRef:
    node = portal.url(f"/classification/{theme.code}")
    g.add((node, RDF.type, SKOS.Concept))
    g.add((node, SKOS.notation, Literal(theme.code)))
    _bilingual(g, node, SKOS.prefLabel, theme.name, theme.name_en)
    g.add((node, SKOS.inScheme, _scheme(g, portal)))
    return node


def _license(g: Graph, license: str) -> URIRef:
    node = URIRef(license)
    g.add((node, RDF.type, DCTERMS.LicenseDocument))
    return node


def _resource(g: Graph, url: URIRef) -> URIRef:
    # The shapes require the class explicitly: they validate without RDFS inference.
    g.add((url, RDF.type, RDFS.Resource))
    return url


def _file_type(g: Graph, name: str) -> URIRef:
    node = EU_FILE_TYPE[name]
    g.add((node, RDF.type, DCTERMS.MediaTypeOrExtent))
    return node


def _paging(g: Graph, portal: Portal, page: Page, fmt: str) -> None:
    """Hydra paging, as DCAT-AP's guidance on large catalogues (and CKAN's DCAT) does it."""

    def at(n: int) -> URIRef:
        return portal.url(f"/catalog.{fmt}?page={n}")

    node = at(page.number)
    g.add((node, RDF.type, HYDRA.PagedCollection))
    g.add((node, HYDRA.totalItems, Literal(page.total, datatype=XSD.nonNegativeInteger)))
    g.add((node, HYDRA.itemsPerPage, Literal(page.size, datatype=XSD.nonNegativeInteger)))
    g.add((node, HYDRA.firstPage, at(1)))
    g.add((node, HYDRA.lastPage, at(page.last)))
    if page.number > 1:
        g.add((node, HYDRA.previousPage, at(min(page.number - 1, page.last))))
    if page.number < page.last:
        g.add((node, HYDRA.nextPage, at(page.number + 1)))


def _bilingual(g: Graph, node: URIRef | BNode, prop: URIRef, zh: str, en: str) -> None:
    g.add((node, prop, Literal(zh, lang="zh")))
    if en:
        g.add((node, prop, Literal(en, lang="en")))


def _lang(word: str) -> str:
    # Keywords carry no language of their own: ASCII ones (PM2.5, GDP) are read as English.
    return "en" if word.isascii() else "zh"
