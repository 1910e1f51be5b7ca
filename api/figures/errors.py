"""Errors of figures."""

from __future__ import annotations

from core.errors import DomainError


class InvalidPeriod(DomainError, code="INVALID_PARAMETER"):
    """``from`` after ``to``, or a period longer than figures answer for at once."""
