"""``python -m otcctl`` runs the CLI."""

from otcctl.cli import main

main()
