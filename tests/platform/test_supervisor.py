"""``renshe demo``'s supervision (``run_demo``) with stand-in children: a Ctrl-C at any moment, and
a stdout that breaks (``renshe demo | head``), stop every child and still clean up."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import psutil

from tests.platform.leftovers import Leftovers, still_running, tree, wait_for

ROOT = Path(__file__).resolve().parents[2]


def _start(work: Path, leftovers: Leftovers, *args: str, pipe: bool = False) -> subprocess.Popen[str]:
    """Output to files (children inherit them: a pipe would stay open as long as a child lives),
    or stdout to a pipe the test can break."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.platform.demo_driver", str(work), *args],
        cwd=ROOT,
        env=leftovers.env(),
        text=True,
        stdout=subprocess.PIPE if pipe else (work / "out").open("w"),
        stderr=(work / "err").open("w"),
    )


def _output(work: Path) -> tuple[str, str]:
    return (work / "out").read_text() if (work / "out").exists() else "", (work / "err").read_text()


def _children(proc: subprocess.Popen[str], n: int = 3) -> list[psutil.Process]:
    wait_for(lambda: len(tree(proc.pid)) > n, f"{n} children of the supervisor")
    return tree(proc.pid)[1:]


def test_ctrl_c_while_the_banner_is_printed_stops_cleanly(tmp_path: Path, leftovers: Leftovers) -> None:
    (tmp_path / "ready").touch()
    proc = _start(tmp_path, leftovers, "signal-in-banner")
    proc.wait(timeout=60)
    out, err = _output(tmp_path)
    assert proc.returncode == 0, err
    assert "stop: Ctrl-C" in out and out.rstrip().endswith("stopped."), out
    assert (tmp_path / "cleaned").exists()
    assert not leftovers.tagged()


def test_ctrl_c_while_preparing_interrupts_it_and_still_cleans_up(
    tmp_path: Path, leftovers: Leftovers
) -> None:
    proc = _start(tmp_path, leftovers, "signal-in-prepare")
    proc.wait(timeout=60)
    out, err = _output(tmp_path)
    assert proc.returncode == 130, err  # interrupted, as the shell reports a Ctrl-C
    assert "Traceback" not in err, err
    assert not (tmp_path / "prepared").exists()
    assert (tmp_path / "cleaned").exists()  # the embedded servers are stopped all the same
    assert out.rstrip().endswith("stopped."), out
    assert not leftovers.tagged()  # no child was started


def test_ctrl_c_before_ready_stops_every_child(tmp_path: Path, leftovers: Leftovers) -> None:
    proc = _start(tmp_path, leftovers)
    children = _children(proc)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    out, err = _output(tmp_path)
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
    assert out.rstrip().endswith("stopped."), out
    assert not still_running(children)
    assert (tmp_path / "cleaned").exists()


def test_a_broken_stdout_does_not_leave_children_running(tmp_path: Path, leftovers: Leftovers) -> None:
    """``renshe demo | head -1``: the reader goes away before the banner."""
    proc = _start(tmp_path, leftovers, pipe=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("starting")
    proc.stdout.close()
    children = _children(proc)
    (tmp_path / "ready").touch()
    wait_for(lambda: (tmp_path / "banner").exists() or proc.poll() is not None, "the banner")
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    _, err = _output(tmp_path)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert not still_running(children)
    assert (tmp_path / "cleaned").exists()
