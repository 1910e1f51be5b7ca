"""Pure rules of queue numbers: distance, the slot window, the hall QR, position and wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.queue.rules import (
    distance_m,
    estimated_wait_s,
    hall_of_qr,
    hall_qr,
    moves_forward,
    position,
    within_slot,
)


def test_distance_is_the_great_circle_in_metres() -> None:
    # 0.001° of latitude is 111.2 m anywhere; of longitude, shrunk by cos(latitude).
    assert distance_m(36.0, 103.8, 36.001, 103.8) == pytest.approx(111.2, abs=0.2)
    assert distance_m(36.0, 103.8, 36.0, 103.801) == pytest.approx(90.0, abs=0.2)
    assert distance_m(36.0, 103.8, 36.0, 103.8) == 0


def test_a_number_is_taken_from_a_little_before_the_slot_until_it_ends() -> None:
    start = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    end = start + timedelta(minutes=30)
    assert within_slot(start - timedelta(minutes=30), start, end, 1800)
    assert not within_slot(start - timedelta(minutes=31), start, end, 1800)
    assert within_slot(end, start, end, 1800)
    assert not within_slot(end + timedelta(seconds=1), start, end, 1800)


def test_the_hall_qr_is_ours_and_names_its_hall() -> None:
    qr = hall_qr("secret", "HALL-01")
    assert hall_of_qr("secret", qr) == "HALL-01"
    assert hall_of_qr("other secret", qr) is None
    assert hall_of_qr("", qr) is None
    # Another hall's code with this one's signature, a bare code, a truncated or non-ASCII text.
    assert hall_of_qr("secret", qr.replace("HALL-01", "HALL-02")) is None
    assert hall_of_qr("secret", "HALL-01") is None
    assert hall_of_qr("secret", qr[:-1]) is None
    assert hall_of_qr("secret", qr[:-1] + "码") is None
    with pytest.raises(ValueError):
        hall_qr("", "HALL-01")


def test_position_and_wait_follow_the_hall_snapshot() -> None:
    assert position(seq=7, served_through=4) == 2
    assert position(seq=5, served_through=4) == 0
    assert position(seq=3, served_through=4) == 0
    # Two ahead and this one, two windows at 300 s each.
    assert estimated_wait_s(2, 2, 300) == 450
    assert estimated_wait_s(0, 1, 300) == 300


def test_a_ticket_only_moves_forward() -> None:
    assert moves_forward("waiting", "called")
    assert moves_forward("called", "completed")
    assert not moves_forward("completed", "called")
    assert not moves_forward("called", "called")
    assert not moves_forward("skipped", "completed")
