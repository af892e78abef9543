"""Every message id in the code and the templates has a Chinese translation (all domains).

Ids are extracted with Babel exactly as ``pybabel extract -F babel.cfg`` would, with the extra
keywords our code uses to mark messages: ``lazy(...)`` and the first argument of the domain
exceptions (``NotFound("...")`` etc.). The merged zh_CN catalog must translate every one.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from renshe import i18n

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "lazy": None,
    "NotFound": None,
    "Forbidden": None,
    "Conflict": None,
    "DomainError": None,
}


def extracted() -> dict[str, list[str]]:
    """msgid -> where it is used ("path:line")."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def test_extraction_finds_the_shell_messages() -> None:
    found = extracted()
    # One from a template, one from Python (lazy), one from a domain exception default.
    assert "What you can do now" in found
    assert "Service temporarily unavailable" in found
    assert any(place.startswith("templates/") for place in found["What you can do now"])


def test_every_message_has_a_chinese_translation() -> None:
    catalog = i18n.catalog("zh_CN")
    missing = {
        msgid: places
        for msgid, places in extracted().items()
        if catalog.get(msgid) is None or not catalog.get(msgid).string
    }
    listing = "\n".join(
        f"  {msgid!r}  ({', '.join(places[:3])})" for msgid, places in sorted(missing.items())
    )
    assert not missing, f"{len(missing)} message ids have no zh_CN translation:\n{listing}"
