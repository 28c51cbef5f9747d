"""User-facing errors: the CLI prints these as one line and exits with status 2."""


class WitError(Exception):
    """Bad input or configuration, reported to the user without a traceback.

    The message must name the file/row/field at fault and say what was expected.
    """
