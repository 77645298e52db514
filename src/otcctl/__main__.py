"""``python -m otcctl`` runs the CLI."""

from otcctl.cli.main import main

main()
