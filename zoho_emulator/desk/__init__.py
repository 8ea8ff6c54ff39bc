"""The Zoho Desk part of the emulator (zoho-desk-api.md): its data, rules and routes."""
