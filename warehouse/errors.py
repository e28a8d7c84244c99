"""Errors meant for the user: the CLI prints them on one line and exits with their code."""


class UserError(Exception):
    """Bad input from the user (a date, a rulebook, a path): say what and why, no traceback."""

    exit_code = 2


class WarehouseBusy(UserError):
    """Another process held the warehouse file for longer than the lock wait."""

    exit_code = 75  # EX_TEMPFAIL: try again later
