"""Runbooks: the schema (one pydantic model per step kind) and the loader with line marks."""
