"""Models of lms.learning."""
