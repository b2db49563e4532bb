"""One small exception hierarchy; the CLI turns each into one line and an exit code.

An error that names an option of the request (a device, an input shape, a builder argument) carries it as an
:class:`Option` field instead of a command-line flag in its text: the library words it as a keyword argument
(``device='cpu'``), the CLI as its flag (``--device cpu``, in cli/errors.py), from the same fields.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from string import Template


@dataclass(frozen=True)
class Option:
    """An option of the request that a message names: the library's name for it and, when one is meant, a value as
    the user would type it."""

    name: str  # the library's name: "device", "input_shape", "overrides" (builder arguments), "x" (a chart's axis)
    value: str | None = None  # None: the option itself ("drop device")
    key: str = ""  # the message's placeholder, when one message names the same option twice; the name otherwise

    @property
    def placeholder(self) -> str:
        return self.key or self.name

    def as_argument(self) -> str:
        """How a Python caller writes it: ``device='cpu'``, or a builder argument as the keyword it is."""
        if self.value is None:
            return self.name
        return self.value if self.name == "overrides" else f"{self.name}={self.value!r}"


Wording = Callable[[Option], str]


def _as_argument(option: Option) -> str:
    return option.as_argument()


@dataclass(frozen=True)
class Message:
    """A message whose ``$name`` placeholders stand for options, worded when it is shown (see the module's doc).
    Text from elsewhere (a torch message) goes in through :func:`literal`, so a ``$`` in it stays as it is."""

    template: str
    options: tuple[Option, ...] = ()

    def worded(self, wording: Wording = _as_argument) -> str:
        if not self.options:  # a plain message: its text as it is ("$" included)
            return self.template
        return Template(self.template).safe_substitute({o.placeholder: wording(o) for o in self.options})

    def __str__(self) -> str:
        return self.worded()


def literal(text: str) -> str:
    """``text`` to put inside a message that names options: its ``$`` signs kept as they are."""
    return text.replace("$", "$$")


class ArchcostError(Exception):
    """Base of every error archcost reports to a user (never shown as a traceback). ``options`` are the request's
    options the message names at its ``$name`` placeholders, ``accepted`` the values the first one takes."""

    exit_code = 1

    def __init__(self, message: str | Message = "", *options: Option, accepted: Sequence[str] = ()) -> None:
        self.message = message if isinstance(message, Message) else Message(message, options)
        self.accepted = tuple(accepted)
        super().__init__(str(self.message))

    @property
    def option(self) -> str | None:
        """The library's name of the first option the message names, if any."""
        return self.message.options[0].name if self.message.options else None

    @property
    def value(self) -> str | None:
        """The value of the first option the message names, if any."""
        return self.message.options[0].value if self.message.options else None

    def worded(self, wording: Wording) -> str:
        """The message with each option written by ``wording`` (the CLI: as its flag)."""
        return self.message.worded(wording)


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

    def __init__(self, message: str | Message, *options: Option, reason: str, where: str) -> None:
        super().__init__(message, *options)
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
