"""Routes of the open311 area (placeholder until that area lands)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
