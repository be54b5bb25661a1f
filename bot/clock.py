"""The assistant's clock: what time it is for routing (office hours, out of hours)."""

from __future__ import annotations

import os
from datetime import datetime, timezone


def now() -> datetime:
    """The current time, timezone-aware; `ASSISTANT_NOW` (ISO 8601) pins it for tests."""
    pinned = os.environ.get("ASSISTANT_NOW")
    if pinned:
        return datetime.fromisoformat(pinned)
    return datetime.now(timezone.utc)
