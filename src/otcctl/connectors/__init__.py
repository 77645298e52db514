"""Connectors move bytes to and from hosts; they know nothing of runbooks or verdicts."""
