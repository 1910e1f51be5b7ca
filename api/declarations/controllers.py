"""HTTP of declarations: drafts, materials (streamed uploads), submission, callbacks."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, HttpMethod, Request, Response, delete, get, patch, post, put, route
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from api.declarations import errors
from api.declarations.callbacks import verified_event
from api.declarations.schemas import (
    CreateDeclaration,
    DeclarationDetail,
    DeclarationPage,
    DownloadLink,
    LibraryMaterial,
    ReuseMaterial,
    SaveForm,
    UseLicence,
    Withdraw,
)
from api.declarations.service import SUBMIT_ROUTE, DeclarationsService
from api.declarations.states import State
from core import idempotency
from core.db import Connection
from core.downloads import attachment
from core.openapi import IdempotencyKey, link, problem_responses
from core.principals import ACTING_AS, ACTING_AS_WITHIN_ITEMS, CitizenPrincipal
from core.uploads import store_upload

MAX_UPLOAD_BODY = 60 * 1024 * 1024  # the largest guide limit plus multipart framing
LINK_TTL_S = 300
Code = Annotated[str, QueryParameter(min_length=1, max_length=64)]
_EDIT = problem_responses(400, 401, 404, 409, 422)

_ONE = "/api/v1/declarations/{declaration_id}"
_MATERIAL = _ONE + "/materials/{code}"


def _declaration_links(id_pointer: str) -> dict[str, Any]:
    """What a client does next with a declaration it has just been answered."""
    this = {"declaration_id": f"$response.body#{id_pointer}"}
    links = {
        "read": link("GET", _ONE, parameters=this),
        "saveForm": link("PATCH", _ONE, parameters=this),
        "submit": link("POST", _ONE + "/submit", parameters=this),
        "withdraw": link("POST", _ONE + "/withdraw", parameters=this),
        "reviews": link("GET", _ONE + "/reviews", parameters=this),
    }
    if id_pointer == "/id":  # a detail: its materials too
        first_material = {**this, "code": "$response.body#/materials/0/code"}
        links |= {
            "upload": link("PUT", _MATERIAL, parameters=first_material),
            "reuse": link("PUT", _MATERIAL + "/reuse", parameters=first_material),
            "useLicence": link("PUT", _MATERIAL + "/licence", parameters=first_material),
            "removeMaterial": link("DELETE", _MATERIAL, parameters=first_material),
        }
    return links


class DeclarationController(Controller):
    path = "/api/v1/declarations"
    # A party's resources take X-Acting-As; every route reaches only declarations of the
    # items the mandate covers (DeclarationsBase._owned, the list's filter).
    opt = ACTING_AS_WITHIN_ITEMS
    tags = ["declarations 网上申报"]  # noqa: RUF012 - Litestar reads a list

    @post(
        "",
        status_code=HTTP_200_OK,
        responses=_EDIT,
        summary="Start a draft for an item",
        opt={"links": _declaration_links("/id")},
    )
    async def create(
        self,
        data: JSONBody[CreateDeclaration],
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> DeclarationDetail:
        return await declarations.create(db_connection, citizen, data.item_code)

    @get(
        "",
        responses=problem_responses(400, 401),
        summary="My declarations",
        opt={"links": _declaration_links("/items/0/id")},
    )
    async def list_mine(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_read: NamedDependency[Connection],
        state_filter: Annotated[State | None, QueryParameter(name="state")] = None,
        page: Annotated[int, QueryParameter(ge=1, le=1000)] = 1,
        page_size: Annotated[int, QueryParameter(name="pageSize", ge=1, le=50)] = 20,
    ) -> DeclarationPage:
        return await declarations.list_mine(db_read, citizen, state_filter, page, page_size)

    @get(
        "/{declaration_id:uuid}",
        responses=problem_responses(401, 404),
        summary="One declaration: form, materials, timeline, due dates",
    )
    async def detail(
        self,
        declaration_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_read: NamedDependency[Connection],
    ) -> DeclarationDetail:
        return await declarations.detail(db_read, citizen, declaration_id)

    @patch("/{declaration_id:uuid}", responses=_EDIT, summary="Autosave the draft's form")
    async def save(
        self,
        declaration_id: FromPath[uuid.UUID],
        data: JSONBody[SaveForm],
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> DeclarationDetail:
        return await declarations.save_form(db_connection, citizen, declaration_id, data.form_data)

    # POST too: wx.uploadFile (the mini-program's only upload with progress events) can only POST.
    @route(
        "/{declaration_id:uuid}/materials/{code:str}",
        http_method=[HttpMethod.PUT, HttpMethod.POST],
        status_code=HTTP_200_OK,
        request_max_body_size=MAX_UPLOAD_BODY,
        responses=problem_responses(400, 401, 404, 409, 413, 415),
        summary="Upload a material (multipart/form-data, part `file`), streamed",
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        declaration_id: FromPath[uuid.UUID],
        code: FromPath[str],
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> LibraryMaterial:
        service = declarations
        max_bytes, allowed = await service.check_upload_target(
            db_connection, citizen, declaration_id, code
        )
        return await store_upload(
            request.stream(),
            request.headers,
            service.storage,
            citizen.citizen_id,
            max_bytes=max_bytes,
            allowed=allowed,
            attach=lambda received, stored: service.attach_upload(
                db_connection, citizen, declaration_id, code, received, stored
            ),
        )

    @put(
        "/{declaration_id:uuid}/materials/{code:str}/reuse",
        responses=_EDIT,
        summary="Satisfy a material with a file from my library",
    )
    async def reuse(
        self,
        declaration_id: FromPath[uuid.UUID],
        code: FromPath[str],
        data: JSONBody[ReuseMaterial],
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> DeclarationDetail:
        try:
            material_id = uuid.UUID(data.material_id)
        except ValueError as exc:
            raise errors.MaterialNotUsable(materialCode=code) from exc
        return await declarations.reuse(db_connection, citizen, declaration_id, code, material_id)

    @put(
        "/{declaration_id:uuid}/materials/{code:str}/licence",
        responses=_EDIT,
        summary="Satisfy a material with one of my e-licences (免提交)",
    )
    async def licence(
        self,
        declaration_id: FromPath[uuid.UUID],
        code: FromPath[str],
        data: JSONBody[UseLicence],
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> DeclarationDetail:
        return await declarations.use_licence(
            db_connection, citizen, declaration_id, code, data.licence_number
        )

    @delete(
        "/{declaration_id:uuid}/materials/{code:str}",
        status_code=HTTP_204_NO_CONTENT,
        responses=_EDIT,
    )
    async def remove(
        self,
        declaration_id: FromPath[uuid.UUID],
        code: FromPath[str],
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await declarations.remove_material(db_connection, citizen, declaration_id, code)

    @post(
        "/{declaration_id:uuid}/submit",
        status_code=HTTP_200_OK,
        responses=_EDIT,
        summary="Submit (idempotent by Idempotency-Key); delivered to the platform by a job",
    )
    async def submit(
        self,
        declaration_id: FromPath[uuid.UUID],
        idempotency_key: IdempotencyKey,
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> Response[DeclarationDetail]:
        # Copies of one tap (the same key) get the first one's answer, even while it runs.
        return await idempotency.once(
            db_connection,
            citizen_id=citizen.citizen_id,
            route=SUBMIT_ROUTE,
            key=idempotency_key,
            request={"declarationId": str(declaration_id)},
            run=lambda: declarations.submit(
                db_connection, citizen, declaration_id, idempotency_key
            ),
        )

    @post(
        "/{declaration_id:uuid}/supplement",
        status_code=HTTP_200_OK,
        responses=_EDIT,
        summary="Resubmit after replacing the materials the notice listed",
    )
    async def supplement(
        self,
        declaration_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> DeclarationDetail:
        return await declarations.supplement(db_connection, citizen, declaration_id)

    @post(
        "/{declaration_id:uuid}/tolerated-materials",
        status_code=HTTP_200_OK,
        responses=_EDIT,
        summary="容缺: send materials accepted as missing, once attached (after acceptance)",
    )
    async def supply_tolerated(
        self,
        declaration_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> DeclarationDetail:
        return await declarations.supply_tolerated(db_connection, citizen, declaration_id)

    @post(
        "/{declaration_id:uuid}/redraft",
        status_code=HTTP_200_OK,
        responses=problem_responses(401, 404, 409),
        summary="Back to a draft after the platform refused it (form and materials kept)",
    )
    async def redraft(
        self,
        declaration_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> DeclarationDetail:
        return await declarations.redraft(db_connection, citizen, declaration_id)

    @post(
        "/{declaration_id:uuid}/withdraw",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 404, 409, 503),
    )
    async def withdraw(
        self,
        declaration_id: FromPath[uuid.UUID],
        data: JSONBody[Withdraw],
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> DeclarationDetail:
        return await declarations.withdraw(db_connection, citizen, declaration_id, data.reason)


class MaterialController(Controller):
    path = "/api/v1"
    # A party's resources take X-Acting-As. The library is the party's whole (files carry no
    # item): closed to a mandate limited to items, which reuses files through a declaration
    # of a covered item instead (docs/acting-as.md).
    opt = ACTING_AS
    tags = ["declarations 网上申报"]  # noqa: RUF012

    @get(
        "/materials",
        responses=problem_responses(401),
        summary="My material library",
        opt={
            "links": {
                "content": link(
                    "GET",
                    "/api/v1/materials/{material_id}/content",
                    parameters={"material_id": "$response.body#/0/id"},
                ),
                "signedLink": link(
                    "POST",
                    "/api/v1/materials/{material_id}/link",
                    parameters={"material_id": "$response.body#/0/id"},
                ),
            }
        },
    )
    async def library(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> list[LibraryMaterial]:
        return await declarations.library(db_connection, citizen)

    # GET /api/v1/licences (my e-licences) is the wallet's: api.licences.controllers.

    @get(
        "/materials/{material_id:uuid}/content",
        responses=problem_responses(401, 404),
        summary="Download my material",
    )
    async def download(
        self,
        material_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> Stream:
        key, content_type, name = await declarations.material_key(
            db_connection, citizen, material_id
        )
        chunks = await declarations.storage.get_stream(key)
        return attachment(chunks, name=name, media_type=content_type)

    @post(
        "/materials/{material_id:uuid}/link",
        status_code=HTTP_200_OK,
        responses=problem_responses(401, 404),
        summary="A short-lived link to my material (e.g. for a web-view)",
    )
    async def link(
        self,
        material_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> DownloadLink:
        key, content_type, name = await declarations.material_key(
            db_connection, citizen, material_id
        )
        token = declarations.storage.sign_download(
            key, LINK_TTL_S, name=name, content_type=content_type
        )
        return DownloadLink(url=f"/api/v1/files/{token}", expires_in=LINK_TTL_S)

    @get(
        "/files/{token:str}",
        responses=problem_responses(400, 403, 404),
        summary="Content behind a signed link",
    )
    async def signed(
        self, token: FromPath[str], declarations: NamedDependency[DeclarationsService]
    ) -> Stream:
        grant = declarations.storage.verify_download(token)
        chunks = await declarations.storage.get_stream(grant.key)
        return attachment(chunks, name=grant.name, media_type=grant.content_type)


class PlatformCallbackController(Controller):
    """The provincial platform's signed case-status callbacks (an inbox: store, answer fast)."""

    path = "/api/v1/hooks/provincial"
    tags = ["platform hooks"]  # noqa: RUF012

    @post("/cases", status_code=HTTP_200_OK, responses=problem_responses(401))
    async def cases(
        self,
        request: Request[Any, Any, Any],
        declarations: NamedDependency[DeclarationsService],
        db_connection: NamedDependency[Connection],
    ) -> Response[dict[str, str]]:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        event, stored = verified_event(declarations.callback_secret, headers, body)
        new = await declarations.store_callback(db_connection, event, stored)
        return Response({"status": "accepted" if new else "duplicate"})
