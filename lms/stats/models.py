"""Models of lms.stats."""
