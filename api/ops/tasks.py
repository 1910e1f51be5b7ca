"""Jobs of ops: none.

The ops console looks after every other domain's jobs (dead letters: described, retried or
discarded through ``OpsService``) and runs none of its own.
"""

from __future__ import annotations
