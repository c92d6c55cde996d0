"""Tables of the cases area (filled in by that area's work)."""

from __future__ import annotations
