"""One module per step kind: execute a planned step over connectors, judge its result."""
