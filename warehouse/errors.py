"""Errors meant for the user: the CLI prints them on one line and exits 2."""


class UserError(Exception):
    """Bad input from the user (a date, a rulebook, a path): say what and why, no traceback."""
