"""tap-zoho: a Singer tap for Zoho CRM and Zoho Desk."""
