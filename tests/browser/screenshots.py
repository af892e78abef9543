"""Regenerate ``docs/screenshots/``: ``uv run python -m tests.browser.screenshots``.

Runs the every-page browser test (``tests/web/test_every_page.py``) with ``RENSHE_SCREENSHOTS``
set: each role's home page, and every page a role reaches (once), at 390×844 and 1366×768, in
Chinese, on the demo district's data. The README's pictures are among them.
"""

from __future__ import annotations

import os
import sys

import pytest


def main() -> int:
    os.environ["RENSHE_SCREENSHOTS"] = "1"
    return int(pytest.main(["-q", "-p", "no:cacheprovider", "tests/web/test_every_page.py", *sys.argv[1:]]))


if __name__ == "__main__":
    raise SystemExit(main())
