"""The command line: a thin layer over the API. The only package that prints.

Errors from archcost become one line on stderr and an exit code (2 for usage, 1 for failures); a traceback is
shown only when ARCHCOST_DEBUG=1 is set.
"""

from __future__ import annotations

import os
import sys


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"archcost: error: {message}\n")
    sys.stderr.flush()
    return code


def run(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` and return the exit code instead of exiting (used by ``main`` and by tests)."""
    from archcost.cli.commands import app
    from archcost.cli.errors import message
    from archcost.errors import ArchcostError

    from archcost.cli.predict_options import bare_predict

    try:
        result = app(args=bare_predict(sys.argv[1:] if argv is None else argv), standalone_mode=False,
                     prog_name="archcost")
    except ArchcostError as error:
        return _fail(message(error), error.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return 0
    except Exception as error:
        # Typer's parser errors (click's, vendored or not) are matched by shape, not by import: usage errors carry
        # format_message() and exit code 2; Exit and Abort carry only their meaning.
        kind = type(error).__name__
        if kind == "Exit":
            return int(getattr(error, "exit_code", 0))
        if kind == "Abort":
            return _fail("aborted", 1)
        if kind == "NoArgsIsHelpError" and hasattr(error, "format_message"):
            # A command (or bare `archcost`) run with nothing to do: the whole help, not its first line, on stderr
            # with exit 2, as typer's standalone no_args_is_help does.
            sys.stderr.write(error.format_message().rstrip() + "\n")
            return 2
        if hasattr(error, "format_message") and hasattr(error, "exit_code"):
            return _fail(error.format_message().strip().splitlines()[0], int(error.exit_code))
        if os.environ.get("ARCHCOST_DEBUG"):
            raise
        return _fail(f"internal error: {kind}: {error} (ARCHCOST_DEBUG=1 shows the traceback)", 1)
    return result if isinstance(result, int) else 0


def main() -> None:
    code = run(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # torch leaves hundreds of thousands of objects for the collector to walk at exit (a share of the "start + exit"
    # time in reports/benchmarks/analysis-speed.md); frozen objects are skipped. Everything is written and flushed.
    import gc

    gc.freeze()
    sys.exit(code)
