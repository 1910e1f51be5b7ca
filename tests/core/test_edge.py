"""The edge's byte scans: nesting depth outside JSON strings, escaped NULs (pure functions;
tests/api/test_hostile_input.py drives them over HTTP)."""

from __future__ import annotations

import json

import pytest

from core.edge import nested_deeper_than, refuse_nul
from core.errors import InvalidParameter


def _nested(depth: int) -> bytes:
    """``{"code": …}`` with ``depth`` more levels inside, arrays and objects alternating."""
    opening = b"".join(b"[" if n % 2 else b'{"k": ' for n in range(depth))
    closing = b"".join(b"]" if n % 2 else b"}" for n in reversed(range(depth)))
    body = b'{"code": ' + opening + b"1" + closing + b"}"
    if depth < 500:
        json.loads(body)
    return body


@pytest.mark.parametrize("depth", [0, 1, 5, 30, 31])
def test_nesting_within_the_limit_passes(depth: int) -> None:
    assert not nested_deeper_than(_nested(depth), 32)


@pytest.mark.parametrize("depth", [32, 33, 200, 5000])
def test_nesting_beyond_the_limit_is_found(depth: int) -> None:
    # The outer object adds one level.
    assert nested_deeper_than(_nested(depth), 32)


def test_brackets_in_strings_and_escapes_do_not_count() -> None:
    text = "[" * 100 + '\\"{' * 100 + "\\\\"
    body = json.dumps({"a": text, "b": [[["x"]]], "c": '"[[['}).encode()
    assert json.loads(body)["a"] == text
    assert not nested_deeper_than(body, 32)
    # Many siblings are wide, not deep.
    assert not nested_deeper_than(json.dumps([[1]] * 10_000).encode(), 32)


def test_closers_without_openers_are_left_to_the_decoder() -> None:
    assert not nested_deeper_than(b"]" * 1000 + b"[" * 20, 32)


@pytest.mark.parametrize(
    "body",
    [b'{"a": "x\\u0000"}', b'{"a": "\\\\\\u0000"}', b'["\\u0000"]', b'{"a": "\x00"}'],
)
def test_escaped_or_raw_nul_is_refused(body: bytes) -> None:
    with pytest.raises(InvalidParameter):
        refuse_nul(body, form=False)


@pytest.mark.parametrize("body", [b'{"a": "\\\\u0000"}', b'{"a": "u0000"}', b'{"a": "%00"}'])
def test_text_that_only_looks_like_a_nul_passes(body: bytes) -> None:
    refuse_nul(body, form=False)


def test_form_fields_are_checked_for_percent_encoded_nul() -> None:
    with pytest.raises(InvalidParameter):
        refuse_nul(b"client_id=a%00b&x=1", form=True)
    refuse_nul(b"client_id=a%2500b", form=True)
