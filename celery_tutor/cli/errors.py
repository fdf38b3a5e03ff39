"""The command line's own error: bad input, said in one line with the way out (exit status 2)."""


class UsageError(Exception):
    """Bad input on the command line: one line, exit status 2."""
