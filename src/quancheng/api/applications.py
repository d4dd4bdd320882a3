"""API routes: see quancheng.opendata.applications."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
