"""``python -m tap_zoho``."""

from tap_zoho.tap import TapZoho

TapZoho.cli()
