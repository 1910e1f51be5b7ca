"""The platform's rating system (好差评系统): ratings of finished cases reported by channels.

Mounted on the provincial stand-in (``add_rating_routes``). Written from the national rules
(国办发〔2019〕51号, GB/T 39734-2020), not from our client: a rating names a case, a channel,
a level 1-5, optionally the five online indicator scores, tags and text. The reporter's
``ratingId`` is the idempotency key: the same rating sent again is answered with the same
receipt; a different rating under a known id is a conflict. One rating per case and channel
("一事一评"), and one follow-up per case naming the rating it follows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web

from sandbox.clock import Clock
from sandbox.http import ApiError, json_response
from sandbox.provincial.cases import CASES_KEY

FINISHED = frozenset({"completed", "refused"})  # 办结: decided, granted or refused
RATING_PREFIX = "PJ"

Score = Annotated[int, msgspec.Meta(ge=1, le=5)]


class _Body(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    pass


class Scores(_Body, kw_only=True):
    overall: Score
    efficiency: Score
    guide_accuracy: Score
    convenience: Score
    ease_of_use: Score


class RatingBody(_Body, kw_only=True):
    rating_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    case_number: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    item_code: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    channel: Literal["wechat", "app", "pc", "hall", "hotline"]
    level: Score
    scores: Scores | None = None
    tags: Annotated[list[str], msgspec.Meta(max_length=20)] = []
    text: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    rated_at: dt.datetime
    follow_up_of: str | None = None


@dataclass
class Rating:
    number: str
    body: RatingBody
    received_at: str

    def receipt(self) -> dict[str, Any]:
        return {
            "ratingId": self.body.rating_id,
            "ratingNumber": self.number,
            "receivedAt": self.received_at,
        }

    def describe(self) -> dict[str, Any]:
        return {**msgspec.to_builtins(self.body), **self.receipt()}


class RatingBook:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._by_id: dict[str, Rating] = {}
        self._seq = 0  # not reset: rating numbers stay unique for the life of the process

    def reset(self) -> None:
        self._by_id.clear()

    def all(self) -> list[Rating]:
        return list(self._by_id.values())

    def report(self, body: RatingBody, case_status: str) -> tuple[Rating, bool]:
        """Keep the rating, or find the one already kept under its id. (rating, created)."""
        known = self._by_id.get(body.rating_id)
        if known is not None:
            if known.body != body:
                raise ApiError(409, "RATING_CONFLICT", f"rating {body.rating_id} differs")
            return known, False
        if case_status not in FINISHED:
            raise ApiError(409, "CASE_NOT_FINISHED", f"case is {case_status}, not finished")
        same_case = [r.body for r in self._by_id.values() if r.body.case_number == body.case_number]
        if body.follow_up_of is None:
            if any(r.follow_up_of is None and r.channel == body.channel for r in same_case):
                raise ApiError(409, "ALREADY_RATED", "this case is rated on this channel")
        else:
            followed = self._by_id.get(body.follow_up_of)
            if followed is None or followed.body.case_number != body.case_number:
                raise ApiError(404, "RATING_NOT_FOUND", f"no rating {body.follow_up_of}")
            if any(r.follow_up_of is not None for r in same_case):
                raise ApiError(409, "ALREADY_RATED", "this case has its follow-up rating")
        self._seq += 1
        number = f"{RATING_PREFIX}{self._clock.rfc3339()[:10].replace('-', '')}{self._seq:08d}"
        rating = Rating(number=number, body=body, received_at=self._clock.rfc3339())
        self._by_id[body.rating_id] = rating
        return rating, True


RATINGS_KEY = web.AppKey("provincial_ratings", RatingBook)


async def report_rating(request: web.Request) -> web.Response:
    try:
        body = msgspec.json.decode(await request.read(), type=RatingBody)
    except msgspec.DecodeError as exc:
        raise ApiError(400, "INVALID_PARAMETER", str(exc)) from exc
    case = request.app[CASES_KEY].book.get(body.case_number)  # 404 CASE_NOT_FOUND
    if case.item_code != body.item_code:
        raise ApiError(400, "INVALID_PARAMETER", "itemCode is not the case's item")
    rating, created = request.app[RATINGS_KEY].report(body, case.status)
    return json_response(rating.receipt(), status=201 if created else 200)


async def get_rating(request: web.Request) -> web.Response:
    number = request.match_info["ratingNumber"]
    for rating in request.app[RATINGS_KEY].all():
        if rating.number == number:
            return json_response(rating.describe())
    raise ApiError(404, "RATING_NOT_FOUND", f"no rating {number}")


async def control_ratings(request: web.Request) -> web.Response:
    return json_response({"ratings": [r.describe() for r in request.app[RATINGS_KEY].all()]})


def add_rating_routes(app: web.Application, clock: Clock) -> None:
    """Mount the rating system (after the case library, whose cases it rates)."""
    app[RATINGS_KEY] = RatingBook(clock)
    app.router.add_post("/gov/ratings/v1/ratings", report_rating)
    app.router.add_get("/gov/ratings/v1/ratings/{ratingNumber}", get_rating)
    app.router.add_get("/_control/ratings", control_ratings)
