"""What operators write: inventory, runbook schema, YAML with line marks, validation."""
