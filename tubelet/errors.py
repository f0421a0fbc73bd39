"""The base of every error tubelet reports to a user: its message is one line, and the command line prints it
as `tubelet CMD: error: MESSAGE` with a non-zero exit instead of a traceback. Torch-free, so the command line
can catch these without importing the layers that raise them."""


class TubeletError(Exception):
    """A problem with the user's input (a file, a folder, an option); the message is one line."""
