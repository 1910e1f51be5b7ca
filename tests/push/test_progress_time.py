"""The 更新时间 of a WeChat progress message is Beijing time, as the citizen reads it."""

from __future__ import annotations

from datetime import UTC, datetime

from push.service.channels import progress_fields


def test_progress_time_is_beijing_time() -> None:
    # Stored in UTC (timestamptz): 23:30 on Sunday is 07:30 on Monday in Beijing.
    at = datetime(2025, 6, 8, 23, 30, tzinfo=UTC)
    fields = progress_fields({"item": "住房公积金提取"}, "declaration.accepted", at, "已受理")
    assert fields["time3"] == "2025-06-09 07:30"
