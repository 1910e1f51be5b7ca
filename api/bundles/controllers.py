"""HTTP of 一件事 bundles: the guide's plan, a citizen's bundle (one form, one set of materials,
one submission, one timeline), and the staff figures per bundle."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, HttpMethod, Request, Response, delete, get, patch, post, put, route
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from api.bundles.schemas import (
    BundleDetail,
    BundleFigures,
    BundlePage,
    BundlePlan,
    PlanRequest,
    SaveBundleForm,
    StartBundle,
    UseBundleLicence,
)
from api.bundles.service import START_ROUTE, SUBMIT_ROUTE, BundlesService
from api.declarations.schemas import LibraryMaterial
from core import idempotency
from core.db import Connection
from core.openapi import IdempotencyKey, link, problem_responses
from core.principals import ANY_STAFF, CitizenPrincipal, StaffPrincipal
from core.uploads import store_upload

MAX_UPLOAD_BODY = 60 * 1024 * 1024  # as a declaration's upload: the largest guide limit
BundleCode = Annotated[str, PathParameter(min_length=1, max_length=64)]
MaterialKey = Annotated[str, PathParameter(min_length=1, max_length=16)]
_EDIT = problem_responses(400, 401, 404, 409, 422)
_ONE = "/api/v1/bundles/{bundle_id}"


def _links() -> dict[str, Any]:
    this = {"bundle_id": "$response.body#/id"}
    first = {**this, "key": "$response.body#/materials/0/key"}
    return {
        "read": link("GET", _ONE, parameters=this),
        "saveForm": link("PATCH", _ONE, parameters=this),
        "upload": link("PUT", _ONE + "/materials/{key}", parameters=first),
        "useLicence": link("PUT", _ONE + "/materials/{key}/licence", parameters=first),
        "submit": link("POST", _ONE + "/submit", parameters=this),
    }


class BundleGuideController(Controller):
    """What a bundle would be for given answers: public, like the catalogue."""

    path = "/api/v1/bundle-guides"
    tags = ["bundles 一件事"]  # noqa: RUF012

    @post(
        "/{code:str}/plan",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 404, 422),
        summary="情形引导: the members, one form and one materials list the answers give",
    )
    async def plan(
        self,
        code: BundleCode,
        data: JSONBody[PlanRequest],
        bundles: NamedDependency[BundlesService],
        db_read: NamedDependency[Connection],
    ) -> BundlePlan:
        return await bundles.plan(db_read, code, data)


class BundleController(Controller):
    path = "/api/v1/bundles"
    tags = ["bundles 一件事"]  # noqa: RUF012

    @post(
        "",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 403, 404, 409, 422),
        summary="Start a bundle: a draft per chosen member (idempotent by Idempotency-Key)",
        opt={"links": _links()},
    )
    async def start(
        self,
        data: JSONBody[StartBundle],
        idempotency_key: IdempotencyKey,
        citizen: NamedDependency[CitizenPrincipal],
        bundles: NamedDependency[BundlesService],
        db_connection: NamedDependency[Connection],
    ) -> Response[BundleDetail]:
        return await idempotency.once(
            db_connection,
            citizen_id=citizen.citizen_id,
            route=START_ROUTE,
            key=idempotency_key,
            request=data,
            run=lambda: bundles.start(db_connection, citizen, data),
        )

    @get("", responses=problem_responses(400, 401), summary="My bundles")
    async def list_mine(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        bundles: NamedDependency[BundlesService],
        db_read: NamedDependency[Connection],
        page: Annotated[int, QueryParameter(ge=1, le=1000)] = 1,
        page_size: Annotated[int, QueryParameter(name="pageSize", ge=1, le=50)] = 20,
    ) -> BundlePage:
        return await bundles.mine(db_read, citizen, page, page_size)

    @get(
        "/{bundle_id:uuid}",
        responses=problem_responses(401, 404),
        summary="One bundle: members, one form, materials, lanes timeline, results",
    )
    async def detail(
        self,
        bundle_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        bundles: NamedDependency[BundlesService],
        db_read: NamedDependency[Connection],
    ) -> BundleDetail:
        return await bundles.detail(db_read, citizen, bundle_id)

    @patch("/{bundle_id:uuid}", responses=_EDIT, summary="Save the one form (every member's)")
    async def save(
        self,
        bundle_id: FromPath[uuid.UUID],
        data: JSONBody[SaveBundleForm],
        citizen: NamedDependency[CitizenPrincipal],
        bundles: NamedDependency[BundlesService],
        db_connection: NamedDependency[Connection],
    ) -> BundleDetail:
        return await bundles.save_form(db_connection, citizen, bundle_id, data.form_data)

    @route(
        "/{bundle_id:uuid}/materials/{key:str}",
        http_method=[HttpMethod.PUT, HttpMethod.POST],
        status_code=HTTP_200_OK,
        request_max_body_size=MAX_UPLOAD_BODY,
        responses=problem_responses(400, 401, 404, 409, 413, 415),
        summary="Upload a material once for every member (multipart, part `file`), streamed",
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        bundle_id: FromPath[uuid.UUID],
        key: MaterialKey,
        citizen: NamedDependency[CitizenPrincipal],
        bundles: NamedDependency[BundlesService],
        db_connection: NamedDependency[Connection],
    ) -> LibraryMaterial:
        max_bytes, allowed = await bundles.check_upload_target(
            db_connection, citizen, bundle_id, key
        )
        return await store_upload(
            request.stream(),
            request.headers,
            bundles.storage,
            citizen.citizen_id,
            max_bytes=max_bytes,
            allowed=allowed,
            attach=lambda received, stored: bundles.attach_upload(
                db_connection, citizen, bundle_id, key, received, stored
            ),
        )

    @put(
        "/{bundle_id:uuid}/materials/{key:str}/licence",
        responses=_EDIT,
        summary="Satisfy a material with one of my e-licences, for every member taking its type",
    )
    async def licence(
        self,
        bundle_id: FromPath[uuid.UUID],
        key: MaterialKey,
        data: JSONBody[UseBundleLicence],
        citizen: NamedDependency[CitizenPrincipal],
        bundles: NamedDependency[BundlesService],
        db_connection: NamedDependency[Connection],
    ) -> BundleDetail:
        return await bundles.use_licence(
            db_connection, citizen, bundle_id, key, data.licence_number
        )

    @delete(
        "/{bundle_id:uuid}/materials/{key:str}",
        status_code=HTTP_204_NO_CONTENT,
        responses=_EDIT,
    )
    async def remove(
        self,
        bundle_id: FromPath[uuid.UUID],
        key: MaterialKey,
        citizen: NamedDependency[CitizenPrincipal],
        bundles: NamedDependency[BundlesService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await bundles.remove_material(db_connection, citizen, bundle_id, key)

    @post(
        "/{bundle_id:uuid}/submit",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 403, 404, 409, 422),
        summary="Submit every member at once (idempotent by Idempotency-Key)",
    )
    async def submit(
        self,
        bundle_id: FromPath[uuid.UUID],
        idempotency_key: IdempotencyKey,
        citizen: NamedDependency[CitizenPrincipal],
        bundles: NamedDependency[BundlesService],
        db_connection: NamedDependency[Connection],
    ) -> Response[BundleDetail]:
        return await idempotency.once(
            db_connection,
            citizen_id=citizen.citizen_id,
            route=SUBMIT_ROUTE,
            key=idempotency_key,
            request={"bundleId": str(bundle_id)},
            run=lambda: bundles.submit(db_connection, citizen, bundle_id, idempotency_key),
        )


class BundleOpsController(Controller):
    path = "/ops/v1/bundles"
    tags = ["ops 运营"]  # noqa: RUF012

    @get(
        "/figures",
        opt={"staff_roles": list(ANY_STAFF)},
        responses=problem_responses(401, 403),
        summary="Per bundle: applications, finished, end-to-end time vs the members' times added",
    )
    async def figures(
        self,
        staff: NamedDependency[StaffPrincipal],
        bundles: NamedDependency[BundlesService],
        db_replica: NamedDependency[Connection],
    ) -> BundleFigures:
        return await bundles.figures(db_replica)
