from __future__ import annotations

import json
import logging
from pathlib import Path

import msgspec
import pytest

from core.logging import JsonFormatter, mask_personal_data
from core.settings import load_settings


def test_settings_from_prefixed_environment() -> None:
    settings = load_settings(
        {
            "HANDHELD_PORT": "9100",
            "HANDHELD_DATA_DIR": "/srv/handheld",
            "HANDHELD_DATABASE_URL": "postgresql://app:s3cret@db/handheld",
            "HANDHELD_DATABASE_STATEMENT_CACHE_SIZE": "0",
            "HANDHELD_PROVINCIAL_BASE_URL": "https://gov.example",
            "OTHER_PORT": "1",
        }
    )
    assert settings.port == 9100
    assert settings.data_dir == Path("/srv/handheld")
    assert settings.database.statement_cache_size == 0
    assert settings.database.url.reveal() == "postgresql://app:s3cret@db/handheld"
    assert settings.provincial.base_url == "https://gov.example"


def test_secrets_never_print() -> None:
    settings = load_settings(
        {
            "HANDHELD_DATABASE_URL": "postgresql://app:s3cret@db/x",
            "HANDHELD_WECHAT_SECRET": "wxsecret",
        }
    )
    for rendering in (repr(settings), str(settings), f"{settings.wechat.secret}"):
        assert "s3cret" not in rendering and "wxsecret" not in rendering


def test_bad_setting_fails_at_start() -> None:
    with pytest.raises(msgspec.ValidationError):
        load_settings({"HANDHELD_PORT": "eighty"})


def test_personal_data_is_masked() -> None:
    line = "citizen 11010519491231002X phone 13812345678 item 620000"
    assert mask_personal_data(line) == "citizen 1101**********002X phone 138****5678 item 620000"


def test_json_log_lines_are_masked() -> None:
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "bound %s", ("11010519491231002X",), None
    )
    record.phone = "13812345678"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "bound 1101**********002X"
    assert entry["phone"] == "138****5678"
