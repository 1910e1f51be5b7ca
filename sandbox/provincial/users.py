"""Test users of the unified identity stand-in (统一身份认证).

Fictional residents of 西岭省 (region codes 62xxxx), one or more per identity assurance level:

| level | method | meaning |
|---|---|---|
| 1 | ``account`` | registered account only, nothing verified |
| 2 | ``phone`` | mobile number verified by SMS |
| 3 | ``bank_card`` | citizen ID number + bank card verified (four elements) |
| 4 | ``face`` | face recognition against the ID photo |

ID numbers follow GB 11643-1999: 6-digit region code, 8-digit birth date, 3-digit sequence
(odd for men, even for women) and the ISO 7064 MOD 11-2 check character.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal

AssuranceMethod = Literal["account", "phone", "bank_card", "face"]

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
MOBILE_PATTERN = re.compile(r"1[3-9][0-9]{9}")
# Namespace of the stable subject identifiers (uuid5 of the username).
SUB_NAMESPACE = uuid.UUID("6f1c2a4e-62a0-5c1d-9a7e-0b5e11d2a620")
DEFAULT_PASSWORD = "Test@1234"


def id_check_char(first17: str) -> str:
    """GB 11643 check character of the first 17 digits of a citizen ID number."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("expected 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def make_id_number(region: str, birth: dt.date, sequence: int) -> str:
    """An 18-character citizen ID number; ``sequence`` (1..999) is odd for men, even for women."""
    if len(region) != 6 or not region.isdigit() or not 1 <= sequence <= 999:
        raise ValueError("region is 6 digits, sequence 1..999")
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


def valid_id_number(value: str) -> bool:
    """Format, birth date and check character of an 18-character citizen ID number."""
    if len(value) != 18 or not (value[:17].isascii() and value[:17].isdigit()):
        return False
    try:
        dt.datetime.strptime(value[6:14], "%Y%m%d")
    except ValueError:
        return False
    return id_check_char(value[:17]) == value[17].upper()


def valid_mobile(value: str) -> bool:
    """A mainland China mobile number: 11 digits starting 13..19."""
    return bool(MOBILE_PATTERN.fullmatch(value))


@dataclass(frozen=True)
class TestUser:
    __test__ = False  # not a pytest test class

    username: str
    password: str
    name: str
    id_number: str
    phone: str
    assurance_level: int
    assurance_method: AssuranceMethod

    @property
    def sub(self) -> str:
        """Stable subject identifier: 32 hex characters, the same on every run."""
        return uuid.uuid5(SUB_NAMESPACE, self.username).hex

    @property
    def birth_date(self) -> dt.date:
        return dt.datetime.strptime(self.id_number[6:14], "%Y%m%d").date()

    def userinfo(self) -> dict[str, Any]:
        return {
            "sub": self.sub,
            "name": self.name,
            "idNumber": self.id_number,
            "phone": self.phone,
            "assuranceLevel": self.assurance_level,
            "assuranceMethod": self.assurance_method,
        }


def _user(
    username: str,
    name: str,
    region: str,
    birth: dt.date,
    sequence: int,
    phone: str,
    level: int,
    method: AssuranceMethod,
) -> TestUser:
    return TestUser(
        username=username,
        password=DEFAULT_PASSWORD,
        name=name,
        id_number=make_id_number(region, birth, sequence),
        phone=phone,
        assurance_level=level,
        assurance_method=method,
    )


TEST_USERS: tuple[TestUser, ...] = (
    # 620102 金城市城关区, 620104 金城市西固区, 620302 永丰市金川区, 620321 永昌县,
    # 623101 河源州合作市
    _user("zhangsan", "张三", "620102", dt.date(1985, 3, 12), 31, "13893100001", 4, "face"),
    _user("lisi", "李四", "620104", dt.date(1990, 7, 25), 57, "13919310002", 3, "bank_card"),
    _user("wangfang", "王芳", "620302", dt.date(1978, 11, 2), 24, "15109350003", 3, "bank_card"),
    _user("zhaolei", "赵磊", "620321", dt.date(1996, 1, 30), 13, "17793500004", 2, "phone"),
    _user("chenjing", "陈静", "623101", dt.date(1952, 9, 8), 46, "18809410005", 4, "face"),
    _user("liuyang", "刘洋", "620102", dt.date(2004, 5, 17), 79, "13609310006", 1, "account"),
)

# Numbered residents (resident001 … resident999) for runs that need many people, e.g. the fault
# run: verified by bank card (level 3), each with an ID number and a mobile number of their own.
# They sign in like the named users but are not listed on the login page.
RESIDENTS: tuple[TestUser, ...] = tuple(
    _user(
        f"resident{n:03d}",
        f"测试居民{n:03d}",
        "620102",
        dt.date(1960, 1, 1) + dt.timedelta(days=n * 11),
        n,
        f"1770000{n:04d}",
        3,
        "bank_card",
    )
    for n in range(1, 1000)
)

USERS_BY_NAME: dict[str, TestUser] = {user.username: user for user in (*TEST_USERS, *RESIDENTS)}
