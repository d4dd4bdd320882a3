"""API routes: see quancheng.opendata.interaction."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
