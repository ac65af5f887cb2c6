"""Roll call, leave requests and attendance sheets in the admin (registers its hooks on import)."""
