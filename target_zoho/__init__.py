"""target-zoho: a Singer target for Zoho CRM and Zoho Desk."""
