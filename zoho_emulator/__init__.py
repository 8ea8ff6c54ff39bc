"""A local emulator of the Zoho CRM, Zoho Desk and Zoho Accounts (OAuth) APIs.

Built from Zoho's public documentation (https://www.zoho.com/crm/developer/docs/api/v8/,
https://desk.zoho.com/DeskAPIDocument, https://github.com/zoho/crm-oas and
https://github.com/zoho/zohodesk-oas); where Zoho is strict or odd, so is the emulator. Run it
with ``zoho-emulator serve``.
"""
