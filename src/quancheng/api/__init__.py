"""The native JSON API under /api/v1: thin adapters over the domain services."""
