"""Alembic migrations of the CMS schema (run with ``cms db upgrade``)."""
