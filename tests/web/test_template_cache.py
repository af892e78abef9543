"""Templates are compiled once per process (``renshe.web.templating``): a second environment
renders from the first one's compiled code, and an edited template is compiled again."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader

from renshe.web import templating


def test_a_second_environment_reuses_the_code_and_an_edited_template_is_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = templating._CompiledInProcess()
    compiled: list[str] = []
    monkeypatch.setattr(
        Environment, "_compile", lambda self, source, filename, _real=Environment._compile: (
            compiled.append(filename), _real(self, source, filename))[1],
    )  # fmt: skip

    def render() -> str:
        env = Environment(loader=FileSystemLoader(str(tmp_path)), bytecode_cache=cache)
        return env.get_template("page.html").render(name="江门")

    (tmp_path / "page.html").write_text("你好，{{ name }}", encoding="utf-8")
    assert render() == "你好，江门"
    assert render() == "你好，江门"
    assert len(compiled) == 1  # the second environment loaded the first one's code
    (tmp_path / "page.html").write_text("再见，{{ name }}", encoding="utf-8")
    assert render() == "再见，江门"  # not the old code: the source's checksum changed
    assert len(compiled) == 2
