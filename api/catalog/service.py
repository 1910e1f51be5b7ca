"""Catalogue rules: sync from the platform's feed, and the reads citizens make."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import msgspec
from pypinyin import Style, lazy_pinyin

from api.catalog import repository as repo
from api.catalog.errors import ItemNotFound
from api.catalog.schemas import (
    BundlePlan,
    BundleRule,
    CatalogFacets,
    CodeName,
    Contact,
    Facet,
    FaqEntry,
    FeeLine,
    FieldAlias,
    FormField,
    Guide,
    GuideDelivery,
    GuideFee,
    GuideMaterial,
    GuideStep,
    ItemDetail,
    ItemFilter,
    ItemHall,
    ItemPage,
    ItemSummary,
    LicenceType,
    Link,
    SituationQuestion,
)
from core.cache import VersionedCache
from core.clients.provincial import (
    ItemChangesPage,
    ItemTranslation,
    PlatformItem,
    ProvincialClient,
)
from core.db import Connection, Pool
from core.http import OutsideSystemHttpError
from core.i18n import DEFAULT_LOCALE
from core.replica import ReplicaReads

log = logging.getLogger(__name__)

# Readers of catalogue pages see at least the last sync (core.replica).
CATALOGUE_FENCE = "catalog"
_NOT_ALNUM = re.compile(r"[^0-9a-z]")


@dataclass(frozen=True, slots=True)
class SyncReport:
    pages: int
    received: int
    changed: int


def _guide_of(item: PlatformItem) -> Guide:
    return Guide(
        targets=item.targets,
        visits_required=item.visits_required,
        statutory_limit_days=item.statutory_limit_days,
        promised_limit_days=item.promised_limit_days,
        legal_basis=item.legal_basis,
        acceptance_conditions=item.acceptance_conditions,
        materials=[
            GuideMaterial(
                code=m.code,
                name=m.name,
                required=m.required,
                tolerance=m.tolerance,
                formats=m.formats,
                max_size_kb=m.max_size_kb,
                licence_types=m.licence_types,
                notes=m.notes,
                kind=m.kind,
            )
            for m in item.materials
        ],
        process=[
            GuideStep(step=s.step, name=s.name, description=s.description, limit_days=s.limit_days)
            for s in item.process
        ],
        fee=GuideFee(
            charged=item.fee.charged,
            basis=item.fee.basis,
            items=[FeeLine(name=f.name, amount_fen=f.amount_fen) for f in item.fee.items],
        ),
        result_type=item.result_type,
        result_sample=(
            Link(name=item.result_sample.name, url=item.result_sample.url)
            if item.result_sample
            else None
        ),
        consultation=Contact(phone=item.consultation.phone, address=item.consultation.address),
        complaint=Contact(phone=item.complaint.phone),
        faq=[FaqEntry(question=f.question, answer=f.answer) for f in item.faq],
        form_instructions=item.form_instructions,
        templates=[Link(name=t.name, url=t.url) for t in item.templates],
        issues_licence=(
            LicenceType(type_code=item.issues_licence.type_code, name=item.issues_licence.name)
            if item.issues_licence
            else None
        ),
        # Names are resolved when read: members may arrive later in the feed.
        bundle_members=[CodeName(code=c, name="") for c in _members(item)],
        form=[
            FormField(
                key=f.key,
                label=f.label,
                type=f.type,
                required=f.required,
                max_length=f.max_length,
                options=f.options,
                prefill=f.prefill,
            )
            for f in item.form
        ],
        delivery=(
            GuideDelivery(
                paper_result=item.delivery.paper_result,
                postal=item.delivery.postal,
                postal_fee_fen=item.delivery.postal_fee_fen,
                fee_basis=item.delivery.fee_basis,
            )
            if item.delivery
            else None
        ),
        bundle_plan=_bundle_plan(item),
    )


def _bundle_plan(item: PlatformItem) -> BundlePlan | None:
    if not item.bundle or not item.bundle.members:
        return None
    return BundlePlan(
        questions=[
            SituationQuestion(key=q.key, text=q.text, options=q.options, default=q.default)
            for q in item.bundle.questions
        ],
        rules=[
            BundleRule(member=r.member, question=r.question, answer=r.answer, after=r.after)
            for r in item.bundle.rules
        ],
        aliases=[
            FieldAlias(member=a.member, field=a.field, same_as=a.same_as)
            for a in item.bundle.aliases
        ],
    )


def _members(item: PlatformItem) -> list[str]:
    return item.bundle.members if item.bundle else []


def _search_text(item: PlatformItem, guide: Guide) -> str:
    parts = [item.name, item.department.name, item.region_name, *item.themes]
    parts += guide.acceptance_conditions + guide.legal_basis
    parts += [m.name for m in guide.materials] + [s.name for s in guide.process]
    parts += [f.question for f in guide.faq] + [guide.result_type]
    # A keyword in any language the platform translated the item into finds it.
    for tr in item.translations.values():
        parts += [tr.name or "", tr.department_name or "", *tr.acceptance_conditions]
        parts += [m.name for m in tr.materials] + [s.name for s in tr.process]
    return " ".join(p for p in parts if p).lower()


def name_initials(name: str) -> str:
    """Pinyin initials of the item name, e.g. 居民身份证换领 → jmsfzhl."""
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
    return _NOT_ALNUM.sub("", "".join(letters).lower())


def to_row(item: PlatformItem) -> repo.ItemRow:
    guide = _guide_of(item)
    return repo.ItemRow(
        code=item.code,
        name=item.name,
        item_type=item.item_type,
        department_code=item.department.code,
        department_name=item.department.name,
        region_code=item.region_code,
        region_name=item.region_name,
        themes=item.themes,
        case_type=item.case_type,
        online_level=item.online_level,
        charged=item.fee.charged,
        issues_licence=item.issues_licence is not None,
        is_bundle=bool(item.bundle and item.bundle.members),
        status=item.status,
        status_reason=item.status_reason,
        annual_volume=max(0, item.annual_volume),
        platform_version=item.version,
        platform_updated_at=item.updated_at,
        translations={lang: msgspec.to_builtins(tr) for lang, tr in item.translations.items()},
        guide=msgspec.to_builtins(guide),
        search_text=_search_text(item, guide),
        name_initials=name_initials(item.name),
    )


def _translation(row: repo.SummaryRow, locale: str) -> ItemTranslation | None:
    """The platform's text of the item in ``locale``; None for Chinese or none sent."""
    if locale == DEFAULT_LOCALE or not row.translations:
        return None
    raw = row.translations.get(locale)
    return msgspec.convert(raw, ItemTranslation) if raw else None


def _summary_fields(row: repo.SummaryRow, tr: ItemTranslation | None) -> dict[str, object]:
    """The list fields; each translated one in the reader's language, else in Chinese."""
    tr = tr or ItemTranslation()
    return {
        "code": row.code,
        "name": tr.name or row.name,
        "item_type": row.item_type,
        "department": CodeName(
            code=row.department_code, name=tr.department_name or row.department_name
        ),
        "region": CodeName(code=row.region_code, name=tr.region_name or row.region_name),
        "themes": list(row.themes),
        "case_type": row.case_type,
        "online_level": row.online_level,
        "charged": row.charged,
        "issues_licence": row.issues_licence,
        "is_bundle": row.is_bundle,
        "status": row.status,
        "status_reason": row.status_reason,
        "accepting_applications": row.status == "active",
    }


# The halls that serve an item: the halls domain answers (built after the catalogue, so the
# composition root binds it; a catalogue without halls lists none).
HallsOfItem = Callable[[Connection, str], Awaitable[list[ItemHall]]]


def _summary(row: repo.SummaryRow, locale: str) -> ItemSummary:
    return ItemSummary(**_summary_fields(row, _translation(row, locale)))  # type: ignore[arg-type]


def _translated_guide(guide: Guide, tr: ItemTranslation | None) -> Guide:
    """The guide with each field the platform translated in the reader's language; every
    other field (a condition, a material or a step left out) stays in Chinese."""
    if tr is None:
        return guide
    conditions = [
        tr.acceptance_conditions[i]
        if i < len(tr.acceptance_conditions) and tr.acceptance_conditions[i]
        else zh
        for i, zh in enumerate(guide.acceptance_conditions)
    ]
    materials = {m.code: m.name for m in tr.materials if m.name}
    steps = {s.step: s.name for s in tr.process if s.name}
    return msgspec.structs.replace(
        guide,
        acceptance_conditions=conditions,
        materials=[
            msgspec.structs.replace(m, name=materials.get(m.code, m.name)) for m in guide.materials
        ],
        process=[msgspec.structs.replace(s, name=steps.get(s.step, s.name)) for s in guide.process],
        result_type=tr.result_type or guide.result_type,
    )


class CatalogService:
    """The catalogue of a process: the platform's items mirrored into PostgreSQL, read through
    a versioned response cache that a sync invalidates everywhere at once.

    Reads take the caller's connection; the controllers call them only on a cache miss (a hit
    is answered before routing, see ``api.app``)."""

    def __init__(
        self,
        *,
        pool: Pool,
        replica_reads: ReplicaReads,
        cache: VersionedCache,
        provincial: ProvincialClient,
        item_entries: int = 4096,
    ) -> None:
        self.pool = pool
        # Where pages are rendered on a cache miss: the replica once it has replayed the last
        # sync (``_bump``), else the primary (core.replica).
        self.pages = replica_reads.fenced(CATALOGUE_FENCE)
        self._replica_reads = replica_reads
        self.cache = cache
        self.provincial = provincial
        self.halls_of: HallsOfItem | None = None
        # Items as declarations follow them, under the catalogue version they were read at
        # (``item_for_declaration``): the same invalidation as the rendered responses.
        self._items: OrderedDict[str, tuple[bytes, ItemDetail]] = OrderedDict()
        self._item_entries = item_entries

    async def invalidate(self) -> None:
        """Every process renders the catalogue anew (an item's halls changed)."""
        await self._bump()

    async def _bump(self) -> None:
        # The fence first: a process re-rendering after the bump must not read a replica
        # that has not replayed the change yet, and cache the old page under the new version.
        await self._replica_reads.fence(CATALOGUE_FENCE)
        await self.cache.bump()

    # --- sync (the catalog.sync job) -----------------------------------------------------------

    async def sync(self) -> SyncReport:
        """Pull the item feed from the stored cursor to its end.

        Each page is applied and its cursor saved in one transaction, so a failure (the platform
        down mid-sync, a crash) loses nothing and repeats nothing: the next run resumes after the
        last committed page, and upserts ignore versions already stored. No connection is held
        while a page is fetched from the platform.
        """
        async with self.pool.acquire() as conn:
            cursor = await repo.get_cursor(conn, repo.FEED_ITEMS)
        pages = received = changed = 0
        try:
            while True:
                page = await self._fetch_page(cursor)
                async with self.pool.acquire() as conn, conn.transaction():
                    page_changed = 0
                    for item in page.items:
                        page_changed += await repo.upsert_item(conn, to_row(item))
                    await repo.save_cursor(conn, repo.FEED_ITEMS, page.next_cursor, len(page.items))
                pages, received = pages + 1, received + len(page.items)
                changed += page_changed
                cursor = page.next_cursor
                if not page.has_more or not page.items:
                    break
        finally:
            if changed:
                await self._bump()
        log.info(
            "catalogue synced", extra={"pages": pages, "received": received, "changed": changed}
        )
        return SyncReport(pages, received, changed)

    async def _fetch_page(self, cursor: str | None) -> ItemChangesPage:
        try:
            return await self.provincial.item_changes(cursor)
        except OutsideSystemHttpError as exc:
            if cursor is None or exc.status != 400:
                raise
            # The platform no longer knows our cursor (e.g. its feed was rebuilt): start over.
            # Upserts are idempotent, so a full pass repeats nothing.
            log.warning("feed cursor rejected, resyncing from the start", extra={"cursor": cursor})
            return await self.provincial.item_changes(None)

    # --- reads (rendered on a cache miss) ------------------------------------------------------

    async def list_items(self, conn: Connection, filters: ItemFilter) -> ItemPage:
        rows, total = await repo.list_items(conn, filters)
        return ItemPage(
            items=[_summary(r, filters.locale) for r in rows],
            total=total,
            page=filters.page,
            page_size=filters.page_size,
        )

    async def hot_items(
        self, conn: Connection, limit: int, locale: str = DEFAULT_LOCALE
    ) -> list[ItemSummary]:
        return [_summary(r, locale) for r in await repo.hot_items(conn, limit)]

    async def item_detail(
        self, conn: Connection, code: str, locale: str = DEFAULT_LOCALE
    ) -> ItemDetail:
        """An item with its guide, in ``locale`` field by field where the platform translated
        it, in Chinese everywhere else."""
        row = await repo.get_item(conn, code)
        if row is None:
            raise ItemNotFound(itemCode=code)
        tr = _translation(row, locale)
        guide = _translated_guide(msgspec.convert(row.guide, Guide), tr)
        if guide.bundle_members:
            names = await repo.names_of(conn, [m.code for m in guide.bundle_members], locale)
            guide.bundle_members = [
                CodeName(code=m.code, name=names.get(m.code, "")) for m in guide.bundle_members
            ]
        return ItemDetail(
            **_summary_fields(row, tr),  # type: ignore[arg-type]
            guide=guide,
            version=row.platform_version,
            updated_at=row.platform_updated_at,
            halls=await self.halls_of(conn, code) if self.halls_of is not None else [],
        )

    async def facets(self, conn: Connection, locale: str = DEFAULT_LOCALE) -> CatalogFacets:
        groups = await repo.facets(conn, locale)
        return CatalogFacets(
            **{
                name: [Facet(code=r.code, name=r.name, count=r.count) for r in rows]
                for name, rows in groups.items()
            }
        )

    # --- for declarations ---

    async def item_for_declaration(self, conn: Connection, code: str) -> ItemDetail:
        """An item with its guide (form, materials, limits), as a declaration follows it;
        ``ItemNotFound`` for a code the catalogue does not hold.

        Held in process under the catalogue's version (``core.cache.VersionedCache``: kept
        current by pub/sub, bumped after every sync or halls change commits, unknown while the
        subscription is down), so a declaration's write reads it without a round trip. The
        version is taken before the read: a bump during it leaves the entry stale at once. A
        declaration reading it sees what a read in its transaction could have seen an instant
        before (the sync's commit precedes its bump). Callers never change what they get."""
        version = self.cache.version
        if version is not None:
            held = self._items.get(code)
            if held is not None and held[0] == version:
                self._items.move_to_end(code)
                return held[1]
        item = await self.item_detail(conn, code)
        if version is not None:
            self._items[code] = (version, item)
            self._items.move_to_end(code)
            while len(self._items) > self._item_entries:
                self._items.popitem(last=False)
        return item

    # --- for reviews ---

    async def department_names(self, conn: Connection, codes: list[str]) -> dict[str, str]:
        """The names of these departments as the catalogue knows them (an unknown code is left
        out)."""
        return await repo.department_names(conn, sorted(set(codes))) if codes else {}

    async def department_of(self, conn: Connection, code: str) -> CodeName | None:
        """The department that handles an item (a rating is filed under it); None for a code
        the catalogue does not hold."""
        row = await repo.department_of(conn, code)
        if row is None:
            return None
        return CodeName(code=row.department_code, name=row.department_name)
