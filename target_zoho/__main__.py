"""``python -m target_zoho``."""

from target_zoho.target import TargetZoho

TargetZoho.cli()
