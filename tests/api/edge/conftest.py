"""The declarations' applicant and drivers of the outside systems, shared."""

from __future__ import annotations

from tests.api.declarations.conftest import (  # noqa: F401 - shared fixtures
    applicant,
    outside,
    services,
)
