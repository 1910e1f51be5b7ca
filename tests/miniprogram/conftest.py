from tests.api.declarations.conftest import (  # noqa: F401 - shared fixtures
    live,
    outside,
    resources,
    worker,
)
