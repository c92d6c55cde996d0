"""Tables of opinion analytics: rollups, emerging issues, alerts (filled in by that work)."""

from __future__ import annotations
