"""Hours reports and requirement rules in the admin (registers its hooks on import)."""
