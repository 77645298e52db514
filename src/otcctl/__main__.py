"""``python -m otcctl`` runs the CLI."""

from otcctl.cli.launch import main

main()
