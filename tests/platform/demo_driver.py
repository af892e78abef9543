"""``renshe demo``'s start-up and shutdown (``run_demo``) without databases, for
``test_supervisor.py``: three children that sleep forever stand in for web, worker and scheduler.

    python -m tests.platform.demo_driver WORK_DIR [signal-in-banner | signal-in-prepare]

Ready once the test creates ``WORK_DIR/ready``; ``WORK_DIR/cleaned`` appears when the embedded
servers would be stopped. With ``signal-in-banner`` the process sends itself SIGINT while it builds
the banner: a Ctrl-C at the worst moment, every time; with ``signal-in-prepare`` while it would
migrate and seed.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from renshe.cli.runtime import settings
from renshe.cli.supervisor import Child, Supervisor, run_demo

SLEEP_FOREVER = "import time\nwhile True:\n    time.sleep(60)"


def main(work: Path, mode: str) -> int:
    settings()  # logging to stderr, as every renshe command
    supervisor = Supervisor(
        [Child(name, [sys.executable, "-c", SLEEP_FOREVER]) for name in ("web", "worker", "scheduler")]
    )

    def ready() -> bool:
        return (work / "ready").exists()

    def banner() -> str:
        if mode == "signal-in-banner":
            os.kill(os.getpid(), signal.SIGINT)
        (work / "banner").touch()
        return "renshe is running   stop: Ctrl-C"

    def prepare() -> None:
        if mode == "signal-in-prepare":
            os.kill(os.getpid(), signal.SIGINT)
            (work / "prepared").touch()  # never reached: Ctrl-C interrupts the preparation

    return run_demo(
        supervisor,
        starting="starting…",
        prepare=prepare,
        ready=ready,
        banner=banner,
        cleanup=(work / "cleaned").touch,
    )


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else ""))
