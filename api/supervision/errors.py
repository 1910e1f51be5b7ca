"""Errors of supervision."""

from __future__ import annotations

from core.errors import DomainError


class InvalidMonth(DomainError, code="INVALID_PARAMETER"):
    """A month that is not ``YYYY-MM``, or one that has not finished yet."""
