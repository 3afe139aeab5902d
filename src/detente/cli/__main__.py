"""``python -m detente.cli`` runs the command line (same as the ``detente`` script)."""

from detente.cli import main

main()
