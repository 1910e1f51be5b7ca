from tests.api.declarations.conftest import (  # noqa: F401 - shared fixtures
    applicant,
    live,
    outside,
    services,
    worker,
)
