"""Jobs of identity: none.

Everything identity does happens in the request that asks for it: sign-ins, sessions and the
joining of a person's accounts (which moves every domain's rows in the same transaction). The
one maintenance step, ``handheld accounts finish-merges``, is a CLI command
(``IdentityService.finish_merges``), not a job.
"""

from __future__ import annotations
