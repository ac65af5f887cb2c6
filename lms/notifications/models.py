"""Models of lms.notifications."""
