"""Routes of the cases area (placeholder until that area lands)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
