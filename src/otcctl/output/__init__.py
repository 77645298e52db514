"""Renderers: what the operator sees (rich on a terminal, plain when piped, JSON for machines)."""
