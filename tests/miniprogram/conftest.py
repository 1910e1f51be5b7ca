# The declarations fixtures (the common `settings` already wire WeChat Pay to its stand-in).
# The platform stand-in stays the manual one: the flow plays the department's decisions.
from tests.api.declarations.conftest import (  # noqa: F401 - shared fixtures
    live,
    outside,
    services,
    worker,
)
