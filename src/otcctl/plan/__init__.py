"""Runbook x inventory x parameters -> the typed plan; no network."""
