"""``python -m zoho_emulator``."""

from zoho_emulator.cli import main

main()
