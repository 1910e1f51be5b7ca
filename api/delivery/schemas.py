"""Wire types of the address book and of paper results' delivery (camelCase; new fields get
defaults). Personal data (recipient, phone, street) is masked in every answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

Method = Literal["pickup", "postal"]
Status = Literal["chosen", "created", "collected", "in_transit", "out_for_delivery", "delivered"]


class _In(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class NewAddress(_In, frozen=True, kw_only=True):
    """A recipient and where they receive post. ``regionCode``: the county-level GB/T 2260
    code (the region picker's last code), ``regionName``: its names joined (省 市 区)."""

    recipient: Annotated[str, msgspec.Meta(min_length=1, max_length=30, examples=["张三"])]
    phone: Annotated[str, msgspec.Meta(pattern=r"^1[3-9]\d{9}$", examples=["13800138000"])]
    region_code: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$", examples=["620102"])]
    region_name: Annotated[
        str, msgspec.Meta(min_length=2, max_length=60, examples=["西岭省 金城市 城关区"])
    ]
    detail: Annotated[
        str, msgspec.Meta(min_length=5, max_length=120, examples=["民主东路 88 号 3 单元 501 室"])
    ]
    postcode: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$", examples=["730030"])] | None = None
    label: Annotated[str, msgspec.Meta(max_length=10, examples=["家"])] = ""
    is_default: bool = False


class Address(_Out, kw_only=True):
    id: str
    recipient: str
    phone: str
    region_code: str
    region_name: str
    detail: str
    postcode: str | None = None
    label: str = ""
    is_default: bool = False
    created_at: datetime


class AddressBook(_Out, kw_only=True):
    items: list[Address]
    total: int
    limit: int


class ChooseDelivery(_In, frozen=True, kw_only=True):
    """Window pickup (at ``hallCode``, one of the halls serving the item, when any does) or
    postal delivery to ``addressId`` from the citizen's address book."""

    method: Method
    hall_code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None
    address_id: uuid.UUID | None = None


class Session(_Out, kw_only=True):
    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")


class PickupPlace(_Out, kw_only=True):
    """Where the paper result is picked up: a hall with its opening hours, or (for an item no
    hall lists) the department's own window."""

    hall_code: str | None = None
    name: str
    address: str
    phone: str = ""
    latitude: float | None = None
    longitude: float | None = None
    hours: list[Session] = []
    saturday_hours: list[Session] = []


class PostalAddress(_Out, kw_only=True):
    address_id: str | None = None
    recipient: str
    phone: str
    region_code: str
    region_name: str
    detail: str


class TrackingEntry(_Out, kw_only=True):
    kind: str
    label: str
    text: str = ""
    location: str = ""
    at: datetime


class ResultDelivery(_Out, kw_only=True):
    """A declaration's paper result: the options (``postalOffered``, ``feeFen``, ``halls``)
    and the choice with its tracking."""

    declaration_id: str
    item_code: str
    item_name: str
    paper_result: bool = True
    postal_offered: bool = True
    fee_fen: int = 0
    fee_basis: str = ""
    halls: list[PickupPlace] = []
    method: Method | None = None
    pickup: PickupPlace | None = None
    address: PostalAddress | None = None
    changeable: bool = True
    registration: str | None = None
    status: Status | None = None
    status_label: str | None = None
    waybill_number: str | None = None
    carrier: str | None = None
    timeline: list[TrackingEntry] = []


class DeliveryPage(_Out, kw_only=True):
    items: list[ResultDelivery]
    total: int
