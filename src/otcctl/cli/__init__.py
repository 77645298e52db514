"""The command line: commands only; parse, call the core, map errors to exit codes."""
