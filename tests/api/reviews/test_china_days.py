"""Review tickets count China's days: a bad rating at 23:30 UTC on Sunday is Monday's (07:30 in
Beijing), and so are its 3-working-day deadline, the on-time check and the figures' periods.
June 2025 has no public holiday or 调休 after 2 June, so working days are Monday to Friday."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from api.composition import Services
from tests.fixtures.declarations import Applicant
from tests.fixtures.reviews import BAD, SetClock, finished, rate, reviews, staff, supervise


@pytest.mark.unscheduled("reviews.supervise")  # the test runs it itself
async def test_a_ticket_counts_from_the_day_in_china(
    live: httpx.AsyncClient,
    worker: None,
    applicant: Applicant,
    services: Services,
    clock: SetClock,
) -> None:
    client, token = applicant.client, applicant.token
    declaration = await finished(applicant)
    clock.at = datetime(2025, 6, 8, 23, 30, tzinfo=UTC)  # Monday 9 June, 07:30 in Beijing
    assert (await rate(client, token, declaration, BAD)).status_code == 200
    # Day 1 Tuesday, day 3 Thursday 12 June (Wednesday counting from Sunday, the UTC day).
    assert (await reviews(client, token, declaration))["ticket"]["dueOn"] == "2025-06-12"

    operator = await staff(client, services, "op-zhao", "operator")
    auditor = await staff(client, services, "audit-qian", "auditor")
    # Rated on Monday in China: in Monday's figures, not in Sunday's.
    monday = (await auditor.get("/figures?from=2025-06-09&to=2025-06-09")).json()
    sunday = (await auditor.get("/figures?from=2025-06-08&to=2025-06-08")).json()
    assert (monday["overall"]["count"], sunday["overall"]["count"]) == (1, 0)

    # Thursday 23:30 UTC is Friday in Beijing: the ticket is late (not due today), resolved late.
    thursday_2330 = datetime(2025, 6, 12, 23, 30, tzinfo=UTC)
    assert await supervise(services, now=thursday_2330) == 1
    ticket = (await operator.get("/tickets")).json()["items"][0]
    assert ticket["flag"] == "late"
    path = f"/tickets/{ticket['id']}"
    clock.at = datetime(2025, 6, 12, 22, 0, tzinfo=UTC)
    assert (await operator.post(f"{path}/contact", {"note": "已电话回访"})).status_code == 200
    clock.at = thursday_2330
    resolved = await operator.post(f"{path}/resolve", {"outcome": "explained", "note": "已解释"})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolvedOnTime"] is False
