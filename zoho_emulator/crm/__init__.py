"""The emulated Zoho CRM API (v7 and v8): metadata, records, search, COQL, writes, deletes."""
