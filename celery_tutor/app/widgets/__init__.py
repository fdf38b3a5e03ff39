"""The tutor's widgets, one a file: each draws one thing and reports what the learner did with it."""
