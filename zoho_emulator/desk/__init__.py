"""The Zoho Desk part of the emulator: its data, rules and routes.

Sources: Desk's API documentation, https://desk.zoho.com/DeskAPIDocument, and Zoho's OpenAPI
files of it, https://github.com/zoho/zohodesk-oas (``v1.0/``); API credits:
https://help.zoho.com/portal/en/kb/desk/developer-space/apidashboard/articles/working-with-api-credits
(its per-call costs as third-party summaries give them, not confirmed by Zoho). The modules
here say "Desk's API documentation" and "Zoho's OpenAPI files" for these.
"""
