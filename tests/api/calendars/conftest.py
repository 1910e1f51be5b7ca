"""The API in process with its services at hand (to set its clocks), a hypothetical 2027 notice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from litestar.datastructures import State

from api.app import create_app
from core.settings import Settings
from tests.api.declarations.conftest import (  # noqa: F401 - shared fixtures
    applicant,
    live,
    outside,
    services,
    worker,
)
from tests.api.identity.conftest import bearer, make_staff, staff_login
from tests.conftest import serve_in_process

# Test data, not the real notice: 2027 as the State Council writes its notices, with Spring
# Festival 5-13 February made up for on Sunday 31 January and Saturday 20 February.
NOTICE_2027 = """\
year = 2027
source = "国务院办公厅关于2027年部分节假日安排的通知（测试数据）"
url = "https://example.gov.cn/2027-holidays"

[[holiday]]
name = "元旦"
from = 2027-01-01
to = 2027-01-03

[[holiday]]
name = "春节"
from = 2027-02-05
to = 2027-02-13
workdays = [2027-01-31, 2027-02-20]

[[holiday]]
name = "清明节"
from = 2027-04-03
to = 2027-04-05

[[holiday]]
name = "劳动节"
from = 2027-05-01
to = 2027-05-05
workdays = [2027-04-25]

[[holiday]]
name = "端午节"
from = 2027-06-09

[[holiday]]
name = "中秋节"
from = 2027-09-15

[[holiday]]
name = "国庆节"
from = 2027-10-01
to = 2027-10-07
workdays = [2027-09-26, 2027-10-09]
"""


@dataclass
class Served:
    client: httpx.AsyncClient
    # The API process's own services by their keys (api.composition): its declarations clock
    # and its calendar's "today".
    services: State


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[Served]:
    app = create_app(settings, configure_logs=False)
    async with serve_in_process(app) as test_client:
        yield Served(test_client, app.state)


@pytest.fixture
def client(served: Served) -> httpx.AsyncClient:
    """The ``applicant`` of the declarations' tests speaks to this one."""
    return served.client


async def staff_headers(served: Served, username: str, role: str) -> dict[str, str]:
    account = await make_staff(served.services, username, role)
    return bearer(await staff_login(served.client, account))


def today_is(served: Served, day: date) -> None:
    served.services.calendars.today = lambda: day
