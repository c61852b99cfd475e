"""Agencies on Dagster: a partition per lemlist team (docs/agencies.md)."""
