"""The connector core shared by tap-zoho and target-zoho: OAuth, HTTP, and the Zoho clients."""
