"""The tutor's screens: the main one where lessons are followed, and the help and editor on top of it."""
