"""The Zoho Desk part of the emulator (zoho-desk-api.md): its data, rules and routes."""

from zoho_emulator.desk.routes import ROUTES

__all__ = ["ROUTES"]
