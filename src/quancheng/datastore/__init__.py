"""Tabular data of catalog entries: ingest, versions, query, export, masking."""
