"""The platform's hall directory (政务服务大厅): where each hall is, when it opens, its windows,
the items each window serves and how many appointments a window takes per item and half hour.

Mounted on the provincial stand-in (``add_hall_routes``). The seed is data
(``data/halls.toml``); items are named there by their short code (type-main-sub) and resolved
against the seed catalogue, so a hall always lists items the catalogue holds.

Opening rule, as the directory documents it: a hall opens in the sessions of ``hours`` on
working days of the State Council's calendar (holidays closed, 调休 working days open), in
``saturdayHours`` on Saturdays that are not holidays (when given), and never on its own
``closures``. The directory does not list holidays: every consumer holds the calendar.
"""

from __future__ import annotations

import datetime as dt
import functools
from importlib import resources
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web

from sandbox.http import ApiError, json_response
from sandbox.provincial.models import Item
from sandbox.provincial.seed import build_seed

HallCode = Annotated[str, msgspec.Meta(pattern=r"^H\d{9}$")]
ClockTime = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Capacity = Annotated[int, msgspec.Meta(ge=0, le=50)]
_SEED_UPDATED_AT = "2025-11-03T08:00:00Z"


# -- source model (the data file) ---------------------------------------------------------------


class _Source(msgspec.Struct, forbid_unknown_fields=True):
    pass


class WindowSpec(_Source):
    number: str
    name: str
    items: list[str]
    slot_capacity: Capacity


class HallSpec(_Source):
    code: HallCode
    name: str
    region: str
    address: str
    latitude: float
    longitude: float
    phone: str
    hours: list[tuple[ClockTime, ClockTime]]
    windows: list[WindowSpec]
    saturday_hours: list[tuple[ClockTime, ClockTime]] = []
    closures: list[str] = []


class _HallFile(_Source):
    halls: list[HallSpec]


# -- wire model ---------------------------------------------------------------------------------


class _Wire(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    pass


class Session(_Wire, kw_only=True):
    """One opening session of a day, local time (China), ``from`` inclusive, ``to`` exclusive."""

    start: ClockTime = msgspec.field(name="from")
    end: ClockTime = msgspec.field(name="to")

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ValueError(f"session {self.start}-{self.end} ends before it starts")


class Closure(_Wire, kw_only=True):
    date: dt.date
    reason: str


class WindowItem(_Wire, kw_only=True):
    code: str
    name: str


class Window(_Wire, kw_only=True):
    number: str
    name: str
    items: list[WindowItem]
    # Appointments per item served and per half hour.
    slot_capacity: Capacity


class Hall(_Wire, kw_only=True):
    code: HallCode
    name: str
    region_code: str
    region_name: str
    address: str
    latitude: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    longitude: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    phone: str
    hours: list[Session]
    saturday_hours: list[Session] = []
    closures: list[Closure] = []
    windows: list[Window]
    status: Literal["open", "closed"] = "open"
    version: int
    updated_at: str


@functools.cache
def _seed_json() -> bytes:
    spec = msgspec.toml.decode(
        (resources.files("sandbox.provincial") / "data" / "halls.toml").read_bytes(),
        type=_HallFile,
    )
    items = build_seed()
    regions = {i.region_code: i.region_name for i in items}
    halls = [_hall_of(h, items, regions) for h in spec.halls]
    return msgspec.json.encode(halls)


def _item_by_short_code(items: list[Item], short: str) -> Item:
    found = [i for i in items if i.code.endswith("-" + short)]
    if len(found) != 1:
        raise ValueError(f"halls.toml: item {short} names {len(found)} seed items, not one")
    return found[0]


def _hall_of(spec: HallSpec, items: list[Item], regions: dict[str, str]) -> Hall:
    if spec.region not in regions:
        raise ValueError(f"halls.toml: hall {spec.code} is in unknown region {spec.region}")
    return Hall(
        code=spec.code,
        name=spec.name,
        region_code=spec.region,
        region_name=regions[spec.region],
        address=spec.address,
        latitude=spec.latitude,
        longitude=spec.longitude,
        phone=spec.phone,
        hours=[Session(start=a, end=b) for a, b in spec.hours],
        saturday_hours=[Session(start=a, end=b) for a, b in spec.saturday_hours],
        closures=[Closure(date=dt.date.fromisoformat(d), reason="闭厅") for d in spec.closures],
        windows=[
            Window(
                number=w.number,
                name=w.name,
                items=[
                    WindowItem(code=(i := _item_by_short_code(items, s)).code, name=i.name)
                    for s in w.items
                ],
                slot_capacity=w.slot_capacity,
            )
            for w in spec.windows
        ],
        version=1,
        updated_at=_SEED_UPDATED_AT,
    )


def seed_halls() -> list[Hall]:
    """A fresh copy of the seed halls."""
    return msgspec.json.decode(_seed_json(), type=list[Hall])


class HallDirectory:
    """The halls, in memory; a change (control API) gives the hall its next version."""

    def __init__(self) -> None:
        self.halls: dict[str, Hall] = {}
        self.reset()

    def reset(self) -> None:
        self.halls = {h.code: h for h in seed_halls()}

    def patch(self, code: str, fields: dict[str, Any], now: str) -> Hall:
        current = self.halls[code]
        data: dict[str, Any] = msgspec.to_builtins(current)
        if "code" in fields and fields["code"] != code:
            raise ValueError("the code of a hall cannot change")
        data.update(fields)
        data["version"] = current.version + 1
        data["updatedAt"] = now
        hall = msgspec.convert(data, Hall)
        self.halls[code] = hall
        return hall


HALLS_KEY = web.AppKey("provincial_halls", HallDirectory)


async def list_halls(request: web.Request) -> web.Response:
    halls = sorted(request.app[HALLS_KEY].halls.values(), key=lambda h: h.code)
    return json_response({"halls": halls})


async def get_hall(request: web.Request) -> web.Response:
    hall = request.app[HALLS_KEY].halls.get(request.match_info["code"])
    if hall is None:
        raise ApiError(404, "HALL_NOT_FOUND", f"no hall {request.match_info['code']}")
    return json_response(hall)


def add_hall_routes(app: web.Application, now: Any) -> None:
    """``now()`` gives the stand-in clock's RFC 3339 time (a patched hall's ``updatedAt``)."""
    app[HALLS_KEY] = HallDirectory()

    async def control_patch(request: web.Request) -> web.Response:
        code = request.match_info["code"]
        if code not in request.app[HALLS_KEY].halls:
            raise ApiError(404, "HALL_NOT_FOUND", f"no hall {code}")
        try:
            fields = msgspec.json.decode(await request.read())
            if not isinstance(fields, dict):
                raise ValueError("body must be a JSON object")
            return json_response(request.app[HALLS_KEY].patch(code, fields, now()))
        except (ValueError, msgspec.DecodeError) as exc:  # ValidationError is a ValueError
            raise ApiError(400, "INVALID_PARAMETER", str(exc)) from exc

    app.router.add_get("/gov/halls/v1/halls", list_halls)
    app.router.add_get("/gov/halls/v1/halls/{code}", get_hall)
    app.router.add_patch("/_control/halls/{code}", control_patch)
