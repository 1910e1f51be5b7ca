"""Texts a citizen may see, in Chinese and in Mongolian: every error code has both, and the
language is negotiated from Accept-Language."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import api
import payments
import push
from core import errors, i18n

MONGOLIAN = re.compile("[\u1800-\u18af]")
CJK = re.compile("[\u3400-\u9fff\uff00-\uffef]")


def _domain_errors() -> set[type[errors.DomainError]]:
    """Every DomainError subclass in the product (each domain's errors module imported)."""
    for package in (api, push, payments):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if module.name.rsplit(".", 1)[-1] == "errors":
                importlib.import_module(module.name)
    found: set[type[errors.DomainError]] = set()
    pending = [errors.DomainError]
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending += cls.__subclasses__()
    return found


def test_every_error_code_has_a_chinese_and_a_mongolian_title() -> None:
    codes = {cls.code for cls in _domain_errors()}
    assert len(codes) > 50
    missing = sorted(c for c in codes if c not in i18n.MESSAGES)
    assert missing == [], f"codes without titles: {missing}"
    no_mongolian = sorted(c for c in codes if not i18n.MESSAGES[c].get("mn"))
    assert no_mongolian == [], f"codes without a Mongolian title: {no_mongolian}"


@pytest.mark.parametrize("key", sorted(i18n.MESSAGES))
def test_every_message_is_written_in_both_scripts(key: str) -> None:
    entry = i18n.MESSAGES[key]
    assert CJK.search(entry["zh-CN"]), "the Chinese text is Chinese"
    mongolian = entry.get("mn", "")
    # Traditional Mongolian script (docs/i18n.md), never Chinese, Latin or Cyrillic.
    assert MONGOLIAN.search(mongolian), "the Mongolian text is in Mongolian script"
    assert not CJK.search(mongolian) and not re.search("[A-Za-z\u0400-\u04ff]", mongolian)
    assert i18n.text(key, "mn") == mongolian


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("mn", "mn"),
        ("mn-Mong-CN", "mn"),
        ("mn-CN,zh-CN;q=0.8", "mn"),
        ("zh-CN,mn;q=0.9", "zh-CN"),
        ("en;q=0.3, mn;q=0.9, zh;q=0.5", "mn"),
        ("fr-FR, mn;q=0.1", "mn"),
        ("mn;q=0, zh-TW", "zh-CN"),
        # Cyrillic Mongolian is not what the mn texts are written in.
        ("mn-Cyrl", "zh-CN"),
        ("mn-MN, en;q=0.5", "en"),
        ("zh_CN", "zh-CN"),
        ("mn;q=abc", "zh-CN"),
        ("de, fr", "zh-CN"),
    ],
)
def test_accept_language_is_negotiated(header: str | None, locale: str) -> None:
    assert i18n.negotiate(header) == locale


def test_an_unknown_key_or_locale_falls_back() -> None:
    assert i18n.text("NO_SUCH_KEY", "mn") == "NO_SUCH_KEY"
    assert i18n.text("NOT_FOUND", "fr") == i18n.MESSAGES["NOT_FOUND"]["zh-CN"]
