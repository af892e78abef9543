"""Printing for long-running commands whose output may go nowhere: ``renshe demo | head`` closes
the pipe after a few lines, and a closed terminal takes stdout with it. Output is a courtesy there;
shutting the children down is not, so a failed write must never skip it."""

from __future__ import annotations

import contextlib
import os
import sys

import click


def say(text: str, *, err: bool = False) -> None:
    """``click.echo`` that never raises for a stream that went away; later output is dropped."""
    try:
        click.echo(text, err=err)
    except (OSError, ValueError):  # BrokenPipeError, EIO from a gone terminal; ValueError: closed file
        _silence(err=err)


def _silence(*, err: bool) -> None:
    """Point the broken stream at /dev/null: what is still buffered, and the interpreter's flush
    at exit, then go nowhere instead of raising again (Python's own advice for SIGPIPE)."""
    name = "stderr" if err else "stdout"
    stream = getattr(sys, name)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(devnull, stream.fileno())
            return
        setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process
    finally:
        os.close(devnull)
