"""Content of the synthetic demo city of Jinan: departments, classification and catalog entries.

Everything here is pure and deterministic: the same seed always yields the same catalog. The
static tables live in `quancheng.demo.tables` as compact text; this module parses them and
combines per-department subjects with naming variants (district, year, statistics, ...).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache, partial

from stdnum.cn import uscc

from quancheng.demo import tables
from quancheng.demo.tables import (
    CYCLE_EN,
    CYCLE_ZH,
    DATA_GRADING,
    DATA_SECURITY,
    DUTY,
    KIND_KEYWORD,
    KIND_NOUN,
    NEEDS_ITEMS,
    OPEN_CONDITIONS,
    PIPL_SENSITIVE,
    PIPL_SHARING,
    ROW_CYCLES,
    ROW_FORMAT_FAMILY,
    ROW_FORMATS,
    SHAPE_CYCLES,
    SHAPE_FORMATS,
    SHARING_CONDITIONS,
    STATE_COUNCIL_51,
    VARIANTS,
    Choices,
    Variant,
)


@dataclass(frozen=True)
class DemoDepartment:
    """A data provider of the demo city."""

    key: str
    name: str
    short_name: str
    name_en: str
    credit_code: str
    kind: str
    parent_key: str | None


@dataclass(frozen=True)
class DemoClassification:
    """A node of the catalog classification tree (类/项/目)."""

    code: str
    name: str
    name_en: str
    parent_code: str | None


@dataclass(frozen=True)
class DemoDataItem:
    """One data item (信息项) of a catalog entry."""

    name: str
    name_en: str
    data_type: str
    length: int | None
    description: str
    sensitivity: str


@dataclass(frozen=True)
class DemoEntry:
    """One catalog entry (政务数据资源目录条目) of the demo city."""

    department_key: str
    classification_code: str
    name: str
    name_en: str
    abstract: str
    abstract_en: str
    format: str
    data_items: tuple[DemoDataItem, ...]
    sharing_type: str
    sharing_conditions: str
    legal_basis: str
    sharing_method: str
    open_type: str
    open_conditions: str
    update_cycle: str
    security_grade: str
    duty: str
    source_system: str
    keywords: tuple[str, ...]


DISTRICTS: tuple[tuple[str, str], ...] = tuple((row[0], row[1]) for row in tables.DISTRICT_ROWS)

# Shares the demo reproduces (Jinan: 2,300+ of ~3,000 data sets shared; about a third open).
NONE_SHARE = 0.205
OPEN_SHARE = 0.33
CONDITIONAL_OPEN_SHARE = 0.035
CITY_PREFIX_SHARE = 0.15
SENSITIVE_NONE_CAP = 0.3

KINDS = {"c": "city_department", "d": "district_government", "e": "public_enterprise"}
SENSITIVITY = {
    "pub": "public",
    "int": "internal",
    "per": "personal",
    "sen": "sensitive_personal",
}
LEVEL = {"public": 0, "internal": 1, "personal": 2, "sensitive_personal": 3}
FLAGS = frozenset({"core", "imp", "restricted", "open", "nd", "ny"})
OPTIONS = frozenset({"sys", "duty", "kw", "fmt", "cycle", "law"})
FORMATS = frozenset(
    {
        "electronic_file",
        "spreadsheet",
        "database",
        "image",
        "streaming_media",
        "self_describing",
        "service_api",
    }
)


@dataclass(frozen=True)
class DeptSpec:
    """A department as the tables describe it."""

    key: str
    name: str
    short_name: str
    name_en: str
    kind: str
    prefix: str
    region: str
    parent: str | None
    weight: int
    keyword: str
    system: str
    law: str
    district: str = ""
    district_en: str = ""


@dataclass(frozen=True)
class Subject:
    """Something a department catalogs (户籍人口, 空气质量监测 ...)."""

    stem: str
    stem_en: str
    kind: str
    classification: str
    flags: frozenset[str]
    items: tuple[str, ...]
    system: str
    duty: str
    keywords: tuple[str, ...]
    fmt: str
    cycle: str
    law: str


@dataclass(frozen=True)
class Draft:
    """A chosen name before its metadata is filled in."""

    dept: DeptSpec
    subject: Subject
    variant: Variant
    stem: str
    stem_en: str
    district: str
    district_en: str
    year: int | None


def departments() -> tuple[DemoDepartment, ...]:
    """Every data provider of the demo city, parents before children."""
    used: set[str] = set()
    out = []
    for spec in _dept_specs():
        code = _credit_code(spec, used)
        used.add(code)
        out.append(
            DemoDepartment(
                key=spec.key,
                name=spec.name,
                short_name=spec.short_name,
                name_en=spec.name_en,
                credit_code=code,
                kind=KINDS[spec.kind],
                parent_key=spec.parent,
            )
        )
    return tuple(out)


def classifications() -> tuple[DemoClassification, ...]:
    """The classification tree (类 1 基础, 2 主题, 3 部门), parents before children."""
    return _classifications()


def catalog_entries(seed: int = 2024, count: int = 3000) -> list[DemoEntry]:
    """`count` realistic catalog entries, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    specs = _dept_specs()
    quotas = _allocate(specs, count)
    seen: set[str] = set()
    drafts: list[tuple[Draft, str]] = []
    for spec in specs:
        drafts += _pick_names(rng, spec, quotas[spec.key], seen)
    built = [(draft, _build(rng, draft, name)) for draft, name in drafts]
    return _assign_sharing(rng, built)


# -- parsing the tables ------------------------------------------------------------------


def _records(text: str) -> list[list[str]]:
    records: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():
            # "|..." starts the next field; anything else continues the current one.
            part = line.strip()
            records[-1] += part if part.startswith("|") else " " + part
        else:
            records.append(line.strip())
    return [r.split("|") for r in records]


@cache
def _classifications() -> tuple[DemoClassification, ...]:
    out = []
    parents = {1: None, 3: 1, 6: 3}
    for code, name, name_en in _records(tables.CLASSIFICATIONS):
        cut = parents[len(code)]
        out.append(DemoClassification(code, name, name_en, code[:cut] if cut else None))
    return tuple(out)


@cache
def _leaf_codes() -> frozenset[str]:
    return frozenset(c.code for c in _classifications() if len(c.code) == 6)


@cache
def _items() -> dict[str, DemoDataItem]:
    out: dict[str, DemoDataItem] = {}
    for record in _records(tables.ITEMS):
        name, name_en, typ, sens, description = record
        if name in out:
            raise ValueError(f"data item {name} defined twice")
        out[name] = DemoDataItem(
            name=name,
            name_en=name_en,
            data_type=typ[0],
            length=int(typ[1:]) if len(typ) > 1 else None,
            description=description,
            sensitivity=SENSITIVITY[sens],
        )
    return out


@cache
def _groups() -> dict[str, tuple[str, ...]]:
    groups = {name: tuple(items.split()) for name, items in _records(tables.GROUPS)}
    known = _items()
    for name, items in groups.items():
        missing = [i for i in items if i not in known]
        if missing:
            raise ValueError(f"group {name} uses unknown data items {missing}")
    return groups


def _expand(names: str) -> tuple[str, ...]:
    out: list[str] = []
    groups = _groups()
    known = _items()
    for name in names.split():
        for item in groups[name[1:]] if name.startswith("@") else (name,):
            if item not in known:
                raise ValueError(f"unknown data item {item}")
            if item not in out:
                out.append(item)
    return tuple(out)


@cache
def _dept_specs() -> tuple[DeptSpec, ...]:
    listed = []
    for record in _records(tables.DEPARTMENTS):
        key, name, short, name_en, kind, prefix, region, parent, weight, kw, system, law = record
        listed.append(
            DeptSpec(
                key=key,
                name=name,
                short_name=short,
                name_en=name_en,
                kind=kind,
                prefix=prefix,
                region=region,
                parent=parent or None,
                weight=int(weight),
                keyword=kw,
                system=system,
                law=law,
            )
        )
    weight, kw, system, law = tables.DISTRICT_DEPARTMENT
    districts = [
        DeptSpec(
            key=key,
            name=f"济南市{name}人民政府",
            short_name=name,
            name_en=f"{name_en} People's Government, Jinan",
            kind="d",
            prefix="11",
            region=code,
            parent=None,
            weight=int(weight),
            keyword=kw,
            system=system,
            law=law,
            district=name,
            district_en=name_en,
        )
        for name, code, name_en, key in tables.DISTRICT_ROWS
    ]
    ordered = (
        [d for d in listed if d.kind == "c"] + districts + [d for d in listed if d.kind == "e"]
    )
    keys = [d.key for d in ordered]
    if len(set(keys)) != len(keys):
        raise ValueError("department keys are not unique")
    return tuple(ordered)


@cache
def _subjects() -> dict[str, tuple[Subject, ...]]:
    out: dict[str, tuple[Subject, ...]] = {}
    for block in tables.SUBJECTS.split("\n["):
        if not block.strip():
            continue
        header, _, body = block.partition("\n")
        key = header.strip("[]\n")
        out[key] = tuple(_subject(key, record) for record in _records(body))
    return out


def _subject(key: str, record: Sequence[str]) -> Subject:
    if not 5 <= len(record) <= 7:
        raise ValueError(f"{key}: malformed subject {'|'.join(record)}")
    stem, stem_en, kind, cls, flag_text = record[:5]
    item_text = record[5] if len(record) > 5 else ""
    options: dict[str, str] = {}
    for part in (record[6] if len(record) == 7 else "").split(";"):
        name, eq, value = part.partition("=")
        if part and not eq:
            raise ValueError(f"{key}/{stem}: option {part!r} is not name=value")
        if part:
            options[name] = value
    flags = frozenset(f for f in flag_text.split(",") if f)
    where = f"{key}/{stem}"
    if kind not in VARIANTS:
        raise ValueError(f"{where}: unknown kind {kind}")
    if cls not in _leaf_codes():
        raise ValueError(f"{where}: {cls} is not a 目-level classification")
    if not flags <= FLAGS or not set(options) <= OPTIONS:
        raise ValueError(f"{where}: unknown flags or options")
    items = _expand(item_text)
    if kind in NEEDS_ITEMS and not items:
        raise ValueError(f"{where}: kind {kind} needs data items")
    fmt = options.get("fmt", "")
    cycle = options.get("cycle", "")
    if (fmt and fmt not in FORMATS) or (cycle and cycle not in CYCLE_ZH):
        raise ValueError(f"{where}: bad format or cycle")
    return Subject(
        stem=stem,
        stem_en=stem_en,
        kind=kind,
        classification=cls,
        flags=flags,
        items=items,
        system=options.get("sys", ""),
        duty=options.get("duty", ""),
        keywords=tuple(k for k in options.get("kw", "").split(",") if k),
        fmt=fmt,
        cycle=cycle,
        law=options.get("law", ""),
    )


def _subjects_of(spec: DeptSpec) -> tuple[Subject, ...]:
    return _subjects()["district" if spec.kind == "d" else spec.key]


# -- departments -------------------------------------------------------------------------


def _org_check(body: str) -> str:
    """GB 11714 check character of an 8-digit organisation code body."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    c9 = 11 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def _credit_code(spec: DeptSpec, used: set[str]) -> str:
    """A valid, stable 统一社会信用代码 for a department (GB 32100 and GB 11714 checks)."""
    lead = {"11": "00", "12": "49", "91": "7"}[spec.prefix]
    salt = 0
    while True:
        digest = hashlib.sha256(f"quancheng-demo:{spec.key}:{salt}".encode()).hexdigest()
        body = (lead + str(int(digest, 16)))[:8]
        stem = f"{spec.prefix}{spec.region}{body}{_org_check(body)}"
        code = stem + uscc.calc_check_digit(stem)
        if code not in used:
            return code
        salt += 1


# -- names -------------------------------------------------------------------------------


def _allocate(specs: Sequence[DeptSpec], count: int) -> dict[str, int]:
    """Entries per department: at least one each, the rest by weight (largest remainder)."""
    quotas = {s.key: 0 for s in specs}
    if count <= 0:
        return quotas
    by_weight = sorted(specs, key=lambda s: -s.weight)
    if count < len(specs):
        for spec in by_weight[:count]:
            quotas[spec.key] = 1
        return quotas
    for spec in specs:
        quotas[spec.key] = 1
    rest = count - len(specs)
    total = sum(s.weight for s in specs)
    shares = {s.key: rest * s.weight / total for s in specs}
    for key, share in shares.items():
        quotas[key] += int(share)
    left = count - sum(quotas.values())
    for key in sorted(shares, key=lambda k: int(shares[k]) - shares[k])[:left]:
        quotas[key] += 1
    return quotas


def _candidates(spec: DeptSpec) -> tuple[list[Draft], list[Draft], list[Draft]]:
    """Base names (one per subject and variant), per-district names and per-year names."""
    base: list[Draft] = []
    by_district: list[Draft] = []
    by_year: list[Draft] = []
    for subject in _subjects_of(spec):
        stem, stem_en = subject.stem, subject.stem_en
        if spec.kind == "d":
            stem, stem_en = spec.district + stem, f"{spec.district_en} {stem_en}"
        timed = any(_items()[i].data_type == "T" for i in subject.items)
        for variant in VARIANTS[subject.kind]:
            if variant.shape == "daily" and not timed:
                continue  # already daily or coarser: no daily roll-up
            make = partial(Draft, spec, subject, variant, stem, stem_en)
            if variant.scope == "base":
                base.append(make(spec.district, spec.district_en, None))
            elif variant.scope == "district" and spec.kind != "d" and "nd" not in subject.flags:
                by_district += [make(name, en, None) for name, _, en, _ in tables.DISTRICT_ROWS]
            elif variant.scope == "year" and "ny" not in subject.flags:
                by_year += [make(spec.district, spec.district_en, y) for y in tables.YEARS]
    return base, by_district, by_year


def _name(draft: Draft) -> str:
    district = draft.district if draft.variant.scope == "district" else ""
    return draft.variant.zh.format(s=draft.stem, d=district, y=draft.year)


def _interleave(first: list[Draft], second: list[Draft]) -> list[Draft]:
    out: list[Draft] = []
    for a, b in zip(first, second, strict=False):
        out += [a, b]
    shorter = min(len(first), len(second))
    return out + first[shorter:] + second[shorter:]


def _pick_names(
    rng: random.Random, spec: DeptSpec, quota: int, seen: set[str]
) -> list[tuple[Draft, str]]:
    base, by_district, by_year = _candidates(spec)
    for drafts in (base, by_district, by_year):
        rng.shuffle(drafts)
    # After the base names, per-district and per-year names take turns.
    pool = base + _interleave(by_district, by_year)
    picked: list[tuple[Draft, str]] = []
    for draft in pool:
        if len(picked) == quota:
            break
        name = _name(draft)
        city_level = spec.kind != "d" and draft.variant.scope == "base"
        if city_level and not name.startswith("济南") and rng.random() < CITY_PREFIX_SHARE:
            name = "济南市" + name
        if name not in seen:
            seen.add(name)
            picked.append((draft, name))
    # Past the pool's size, names repeat: a demo never needs that many.
    while len(picked) < quota and pool:
        draft = pool[len(picked) % len(pool)]
        picked.append((draft, _name(draft)))
    return picked


# -- metadata ----------------------------------------------------------------------------


def _choose(rng: random.Random, choices: Choices) -> str:
    values = [c[0] for c in choices]
    weights = [c[1] for c in choices]
    return rng.choices(values, weights=weights)[0]


def _shape_items(draft: Draft) -> tuple[str, ...]:
    subject, shape = draft.subject, draft.variant.shape
    groups = _groups()
    known = _items()
    if shape == "rows":
        items = list(subject.items)
        if draft.variant.scope == "district" and "所属区县" not in items:
            items.append("所属区县")
    elif shape == "daily":
        items = [i if known[i].data_type != "T" else "统计日期" for i in subject.items]
    elif shape == "change":
        items = list(subject.items[:3]) + list(groups["change"])
    else:
        items = list(groups[shape])
    if shape == "stats" and draft.district:
        items = ["街道名称" if i == "区县名称" else i for i in items]
    for extra in ("数据更新时间", "备注"):
        if len(items) < 4 and extra not in items:
            items.append(extra)
    return tuple(dict.fromkeys(items))[:15]


def _grade(subject: Subject, shape: str, level: int) -> str:
    if shape in ("stats", "sites", "publicity"):
        return "general"
    if "core" in subject.flags:
        return "core"
    if "imp" in subject.flags or "restricted" in subject.flags or level == 3:
        return "important"
    return "general"


def _cycle(rng: random.Random, draft: Draft) -> str:
    shape, scope = draft.variant.shape, draft.variant.scope
    if draft.variant.cycle:
        return draft.variant.cycle
    if scope == "year":
        return "yearly"
    if shape == "rows":
        return draft.subject.cycle or _choose(rng, ROW_CYCLES[draft.subject.kind])
    if shape == "daily":
        return "daily"
    return _choose(rng, SHAPE_CYCLES[shape])


def _format(rng: random.Random, draft: Draft) -> str:
    shape = draft.variant.shape
    if shape in ("rows", "daily") and draft.subject.fmt:
        return draft.subject.fmt
    if shape == "rows":
        return _choose(rng, ROW_FORMATS[ROW_FORMAT_FAMILY[draft.subject.kind]])
    return _choose(rng, SHAPE_FORMATS["daily" if shape == "daily" else shape])


def _abstracts(draft: Draft, items: Sequence[DemoDataItem], cycle: str) -> tuple[str, str]:
    spec, subject, shape = draft.dept, draft.subject, draft.variant.shape
    where = "" if spec.kind == "d" else (draft.district or "全市")
    year = f"{draft.year}年" if draft.year else ""
    stem = draft.stem
    unit = "街道（镇）" if draft.district else "区县"
    n = len(items)
    listed = "、".join(i.name for i in items[:4])
    first = {
        "rows": f"汇聚{year}{where}{stem}{KIND_NOUN[subject.kind]}，包括{listed}等{n}个信息项。",
        "change": f"记录{where}{stem}的变更事项及变更前后内容，包括{listed}等{n}个信息项。",
        "stats": f"按{unit}和指标汇总{year}{where}{stem}统计结果，包括{listed}等{n}个信息项。",
        "sites": f"{where}{stem}站点的名称、位置、类型和运行状态等基础信息，共{n}个信息项。",
        "daily": f"按日汇总的{where}{stem}结果，包括{listed}等{n}个信息项。",
        "inspect": f"记录{where}{stem}的日常巡检、问题发现和养护处置情况，共{n}个信息项。",
        "cases": f"记录{where}{stem}相关事项的申请、受理和办结情况，共{n}个信息项。",
        "publicity": f"依法公示的{where}{stem}决定结果，包括行政相对人、决定文书号等{n}个信息项。",
    }[shape]
    system = subject.system or spec.system
    owner = f"{spec.district}人民政府" if spec.kind == "d" else spec.short_name
    zh = f"{first}数据由{owner}依托{system}采集维护，{CYCLE_ZH[cycle]}更新。"
    listed_en = ", ".join(i.name_en.lower() for i in items[:4])
    en = (
        f"{_capital(_name_en(draft))}: {n} data items including {listed_en}. "
        f"Maintained by the {spec.name_en}; updated {CYCLE_EN[cycle]}."
    )
    return zh, en


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _name_en(draft: Draft) -> str:
    district = draft.district_en if draft.variant.scope == "district" else ""
    return _capital(draft.variant.en.format(s=draft.stem_en, d=district, y=draft.year))


def _duty(draft: Draft) -> str:
    subject, spec = draft.subject, draft.dept
    if subject.duty:
        return f"负责{subject.duty}工作"
    where = ("本县" if spec.district.endswith("县") else "本区") if spec.kind == "d" else "全市"
    return DUTY[subject.kind].format(w=where, s=subject.stem)


def _keywords(draft: Draft) -> tuple[str, ...]:
    subject = draft.subject
    words = [subject.stem, *subject.keywords, draft.dept.keyword, KIND_KEYWORD[subject.kind]]
    if draft.district:
        words.append(draft.district)
    return tuple(dict.fromkeys(words))[:5]


def _build(rng: random.Random, draft: Draft, name: str) -> DemoEntry:
    known = _items()
    items = tuple(known[i] for i in _shape_items(draft))
    level = max(LEVEL[i.sensitivity] for i in items)
    cycle = _cycle(rng, draft)
    fmt = _format(rng, draft)
    abstract, abstract_en = _abstracts(draft, items, cycle)
    return DemoEntry(
        department_key=draft.dept.key,
        classification_code=draft.subject.classification,
        name=name,
        name_en=_name_en(draft),
        abstract=abstract,
        abstract_en=abstract_en,
        format=fmt,
        data_items=items,
        sharing_type="unconditional",
        sharing_conditions="",
        legal_basis="",
        sharing_method=_sharing_method(rng, fmt),
        open_type="closed",
        open_conditions="",
        update_cycle=cycle,
        security_grade=_grade(draft.subject, draft.variant.shape, level),
        duty=_duty(draft),
        source_system=draft.subject.system or draft.dept.system,
        keywords=_keywords(draft),
    )


def _sharing_method(rng: random.Random, fmt: str) -> str:
    if fmt in ("service_api", "streaming_media"):
        return "api"
    if fmt == "database":
        return "database" if rng.random() < 0.6 else "api"
    if fmt == "self_describing":
        return "api" if rng.random() < 0.5 else "file"
    return "file"


# -- sharing and opening -----------------------------------------------------------------


def _level(entry: DemoEntry) -> int:
    return max(LEVEL[i.sensitivity] for i in entry.data_items)


def _assign_sharing(rng: random.Random, built: list[tuple[Draft, DemoEntry]]) -> list[DemoEntry]:
    """Fix sharing and opening so the catalog reproduces the city's shares exactly."""
    count = len(built)
    levels = [_level(e) for _, e in built]
    restricted = ["restricted" in d.subject.flags for d, _ in built]
    none_bias = {0: 0.0, 1: 0.6, 2: 0.3, 3: 0.35}
    none_score = [
        none_bias[levels[i]]
        + (1.0 if restricted[i] else 0.0)
        + (0.3 if e.security_grade == "core" else 0.0)
        - (0.5 if "open" in built[i][0].subject.flags else 0.0)
        + rng.random() * 0.8
        for i, (_, e) in enumerate(built)
    ]
    # Sensitive personal data is mostly shared on conditions: at most a share of it is withheld.
    sensitive_cap = int(SENSITIVE_NONE_CAP * sum(level == 3 for level in levels))
    none: set[int] = set()
    withheld_sensitive = 0
    for i in sorted(range(count), key=lambda i: -none_score[i]):
        if len(none) == round(count * NONE_SHARE):
            break
        if levels[i] == 3 and not restricted[i]:
            if withheld_sensitive >= sensitive_cap:
                continue
            withheld_sensitive += 1
        none.add(i)

    openable = [
        i
        for i, (_, e) in enumerate(built)
        if i not in none and levels[i] == 0 and e.security_grade == "general" and not restricted[i]
    ]
    open_score = {i: rng.random() + _open_bonus(built[i][0]) for i in openable}
    opened = set(sorted(openable, key=lambda i: -open_score[i])[: round(count * OPEN_SHARE)])
    maybe = [
        i
        for i, (_, e) in enumerate(built)
        if i not in none
        and i not in opened
        and levels[i] <= 2
        and e.security_grade != "core"
        and not restricted[i]
    ]
    rng.shuffle(maybe)
    conditionally_open = set(maybe[: round(count * CONDITIONAL_OPEN_SHARE)])

    out = []
    for i, (draft, entry) in enumerate(built):
        law = draft.subject.law or draft.dept.law
        level = levels[i]
        if i in none:
            sharing, conditions = "none", ""
            basis = _none_basis(level, restricted[i], law)
        elif i not in opened and _conditional(rng, level, restricted[i]):
            sharing = "conditional"
            conditions = rng.choice(SHARING_CONDITIONS[level])
            basis = _conditional_basis(rng, level, law)
        else:
            sharing, conditions, basis = "unconditional", "", ""
        open_type, open_conditions = "closed", ""
        if i in opened:
            open_type = "open"
        elif i in conditionally_open:
            open_type, open_conditions = "conditional", rng.choice(OPEN_CONDITIONS)
        out.append(
            replace(
                entry,
                sharing_type=sharing,
                sharing_conditions=conditions,
                legal_basis=basis,
                open_type=open_type,
                open_conditions=open_conditions,
            )
        )
    return out


def _open_bonus(draft: Draft) -> float:
    """Flagship open data (air quality, springs, bus routes ...) opens first."""
    if "open" in draft.subject.flags:
        return 2.0 if draft.variant.scope == "base" else 0.6
    return 0.4 if draft.variant.shape == "publicity" else 0.0


def _conditional(rng: random.Random, level: int, restricted: bool) -> bool:
    if restricted or level == 3:
        return True
    return rng.random() < {0: 0.12, 1: 0.55, 2: 0.8}[level]


def _conditional_basis(rng: random.Random, level: int, law: str) -> str:
    if level >= 2:
        return f"{PIPL_SHARING}；{law}"
    return f"{law}；{STATE_COUNCIL_51}" if rng.random() < 0.5 else f"{STATE_COUNCIL_51}；{law}"


def _none_basis(level: int, restricted: bool, law: str) -> str:
    if restricted:
        return f"{law}；{DATA_GRADING}"
    if level == 3:
        return f"{PIPL_SENSITIVE}；{law}"
    return f"{law}；{DATA_SECURITY}"
