# The declarations fixtures, and the payments `settings` (WeChat Pay wired to its stand-in).
# The platform stand-in stays the manual one: the flow plays the department's decisions.
from tests.api.declarations.conftest import (  # noqa: F401 - shared fixtures
    live,
    outside,
    resources,
    worker,
)
from tests.payments.conftest import settings  # noqa: F401 - shared fixture
