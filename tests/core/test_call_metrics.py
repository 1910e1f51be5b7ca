"""Outside calls' durations reach the histogram through the looked-up-once children."""

from __future__ import annotations

from prometheus_client import REGISTRY

from core.http import observe_call


def _count(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "handheld_outside_call_seconds_count",
        {"system": "metrics-test", "operation": "op", "outcome": outcome},
    )
    return value or 0.0


def test_each_call_is_counted_under_its_own_labels() -> None:
    before_ok, before_error = _count("ok"), _count("error")
    observe_call("metrics-test", "op", "ok", 0.01)
    observe_call("metrics-test", "op", "ok", 0.02)
    observe_call("metrics-test", "op", "error", 0.5)
    assert _count("ok") == before_ok + 2
    assert _count("error") == before_error + 1
