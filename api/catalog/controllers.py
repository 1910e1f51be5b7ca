"""HTTP of the catalogue: parse, call the service, shape the response.

Reads are served from a versioned response cache with content ETags: a hit needs no
database connection at all, and a client holding the current ETag gets 304.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import FromQuery, PathParameter, QueryParameter

from api.catalog.schemas import (
    CatalogFacets,
    ItemDetail,
    ItemFilter,
    ItemPage,
    ItemSummary,
    OnlineLevel,
)
from api.catalog.service import CatalogService
from core.cache import cached_read
from core.i18n import negotiate
from core.openapi import link, problem_responses


def _locale(request: Request[Any, Any, Any]) -> str:
    return negotiate(request.headers.get("accept-language"))


def _item_links(code_pointer: str) -> dict[str, Any]:
    """From an item in a list to its guide, and to a draft declaration for it."""
    code = f"$response.body#{code_pointer}"
    return {
        "guide": link("GET", "/api/v1/items/{code}", parameters={"code": code}),
        "apply": link("POST", "/api/v1/declarations", body={"itemCode": code}),
    }


class CatalogController(Controller):
    path = "/api/v1"
    tags = ["catalogue 事项与办事指南"]  # noqa: RUF012 - Litestar reads a list

    @get(
        "/items",
        summary="List and search service items",
        description="Filters combine; `q` matches a keyword in the item name or its guide, "
        "or pinyin initials of the name (e.g. `sfz` for 身份证).",
        responses=problem_responses(400),
        opt={"links": _item_links("/items/0/code")},
    )
    async def list_items(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[CatalogService],
        q: Annotated[
            str | None,
            QueryParameter(
                min_length=1,
                max_length=50,
                description="keyword",
                examples=[Example(value="身份证")],
            ),
        ] = None,
        department: Annotated[str | None, QueryParameter(max_length=64)] = None,
        region: Annotated[str | None, QueryParameter(max_length=12)] = None,
        theme: Annotated[str | None, QueryParameter(max_length=32)] = None,
        online_level: Annotated[OnlineLevel | None, QueryParameter(name="onlineLevel")] = None,
        charged: FromQuery[bool | None] = None,
        page: Annotated[int, QueryParameter(ge=1, le=1000)] = 1,
        page_size: Annotated[int, QueryParameter(name="pageSize", ge=1, le=50)] = 20,
    ) -> Response[ItemPage]:
        filters = ItemFilter(
            keyword=q.strip() or None if q else None,
            department=department,
            region=region,
            theme=theme,
            online_level=online_level,
            charged=charged,
            page=page,
            page_size=page_size,
            locale=_locale(request),
        )
        return await cached_read(
            request,
            catalog.cache,
            catalog.pages,
            lambda conn: catalog.list_items(conn, filters),
            ItemPage,
            filters.locale,
        )

    @get(
        "/items/hot",
        summary="Most used service items",
        responses=problem_responses(400),
        opt={"links": _item_links("/0/code")},
    )
    async def hot_items(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[CatalogService],
        limit: Annotated[int, QueryParameter(ge=1, le=50)] = 10,
    ) -> Response[list[ItemSummary]]:
        locale = _locale(request)
        return await cached_read(
            request,
            catalog.cache,
            catalog.pages,
            lambda conn: catalog.hot_items(conn, limit, locale),
            list[ItemSummary],
            locale,
        )

    @get(
        "/items/{code:str}",
        summary="A service item with its full guide",
        responses=problem_responses(400, 404),
    )
    async def item_detail(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[CatalogService],
        code: Annotated[str, PathParameter(min_length=1, max_length=64)],
    ) -> Response[ItemDetail]:
        locale = _locale(request)
        return await cached_read(
            request,
            catalog.cache,
            catalog.pages,
            lambda conn: catalog.item_detail(conn, code, locale),
            ItemDetail,
            locale,
        )

    @get("/catalog/facets", summary="Departments, regions and themes with item counts")
    async def facets(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[CatalogService],
    ) -> Response[CatalogFacets]:
        locale = _locale(request)
        return await cached_read(
            request,
            catalog.cache,
            catalog.pages,
            lambda conn: catalog.facets(conn, locale),
            CatalogFacets,
            locale,
        )
