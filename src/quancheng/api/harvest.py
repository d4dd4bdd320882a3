"""API routes: see quancheng.opendata.harvest."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
