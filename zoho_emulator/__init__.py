"""A local emulator of the Zoho CRM, Zoho Desk and Zoho Accounts (OAuth) APIs.

Built from ``shared/reference/zoho-crm-api.md`` and ``zoho-desk-api.md``; where Zoho is strict
or odd, so is the emulator. Run it with ``zoho-emulator serve``.
"""
