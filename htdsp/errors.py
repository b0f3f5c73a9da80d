"""Exceptions that the command line turns into one-line messages and exit codes."""

#: exit codes shared by every command
EXIT_OK = 0
EXIT_CRITERIA = 1
EXIT_USAGE = 2
EXIT_SOURCE_LOST = 3


class HtdspError(Exception):
    """Base class for errors htdsp reports to a user."""

    exit_code = EXIT_USAGE


class InputError(HtdspError, ValueError):
    """Bad input: a file, its metadata or a parameter that cannot work (exit code 2).

    Parameters
    ----------
    message : str
        What is wrong, in one line.
    path : str, optional
        The file concerned; named first in the message.
    """

    def __init__(self, message, path=None):
        self.path = None if path is None else str(path)
        self.problem = message
        super().__init__(f"{self.path}: {message}" if self.path else message)
