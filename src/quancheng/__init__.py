"""Quancheng (泉城): an open-source city data platform."""

__version__ = "0.1.0"
