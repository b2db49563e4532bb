"""One small exception hierarchy; the CLI turns each into one line and an exit code."""

from __future__ import annotations


class ArchcostError(Exception):
    """Base of every error archcost reports to a user (never shown as a traceback)."""

    exit_code = 1


class UsageError(ArchcostError):
    """The user asked for something malformed or unknown (exit code 2)."""

    exit_code = 2


class UnknownArchitectureError(UsageError):
    pass


class ShapeError(UsageError):
    pass


class InputTooSmallError(ArchcostError):
    """The input's spatial size collapses to nothing inside the network."""


class ForwardError(ArchcostError):
    """The model's forward raised; the message names the module."""


class BuilderArgumentError(UsageError, ValueError):
    """A builder refused the value of an argument it was given (also a ValueError, as the builder's own was)."""


class BuildError(ArchcostError):
    """A model could not be built (on any of the paths archcost tries), or its builder tried to download."""


class UserCodeError(ArchcostError):
    """The user's own code raised (building or in the forward); the message gives their file and line."""


class UserForwardError(UserCodeError, ForwardError):
    """The user's own code raised inside the forward: both a user-code error and a failed forward."""


class DeviceError(ArchcostError):
    """A device was asked for that this machine cannot give (for example CUDA without a GPU)."""


class OutputError(ArchcostError):
    """An output file cannot be written."""


class InputMismatchError(ForwardError):
    """The input contradicts what the network's first layers take (channels, rank); the message says what fits. The
    user's --input is wrong, not the model: a usage error (exit code 2), as the README promises."""

    exit_code = 2


class DataDependentError(ForwardError):
    """A forward needed tensor values on meta (``nonzero``, ``.item()``...); ``reason`` names the op."""

    def __init__(self, message: str, *, reason: str, where: str) -> None:
        super().__init__(message)
        self.reason = reason  # "aten.nonzero needs data on meta"
        self.where = where  # the module whose forward ran the op: "rpn (RegionProposalNetwork)"


def first_line(error: BaseException) -> str:
    """The first line of an error's message, or its type's name when the message is empty: the one way archcost
    quotes an error it did not raise (a user's forward, an import, a builder) in a one-line report."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class ArgumentTypeError(UsageError, TypeError):
    """An API argument of the wrong type (``batch="2"``, ``build(None)``); the message names the argument and what
    it accepts. Also a TypeError, as Python's own would be."""
