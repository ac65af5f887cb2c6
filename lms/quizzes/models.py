"""Models of lms.quizzes."""
