"""Every audit action the code can record has words in English and Chinese (audit/labels.py).

The actions are read from the source, not listed here: every ``audit.record(...)`` call in
``src/`` and ``workers/``, its action argument followed back through names (a local, a module
constant, a parameter filled in by the function's callers) and conditional expressions, and
f-strings expanded over the values their parts can take. A new ``audit.record`` with an action
that has no label fails this test; so does an action expression the reader cannot follow.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from renshe import i18n
from renshe.audit.labels import ACTION_LABELS, action_label
from renshe.subsidies.applications.states import STATES
from renshe.talent.states import APPLICATION_STATES as TALENT_APPLICATION_STATES

ROOT = Path(__file__).resolve().parents[2]

# Parts of f-string actions that are not names: the values they can take.
SUBSCRIPT_VALUES = {"after['state']": set(STATES)}  # store.event: application.<state entered>
# ... and where a module's own states differ (the talent-card application's store)
MODULE_SUBSCRIPT_VALUES = {
    "src/renshe/talent/application_store.py": {"after['state']": set(TALENT_APPLICATION_STATES)},
}


@dataclass
class Module:
    path: Path
    tree: ast.Module
    parents: dict[ast.AST, ast.AST]


def _modules() -> list[Module]:
    out = []
    for folder in (ROOT / "src", ROOT / "workers"):
        for path in sorted(folder.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
            out.append(Module(path, tree, parents))
    return out


class Reader:
    def __init__(self, modules: list[Module]) -> None:
        self.modules = modules

    def _function(self, module: Module, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        while node in module.parents:
            node = module.parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
        return None

    def values(self, module: Module, expr: ast.AST, depth: int = 0) -> set[str]:
        """Every string ``expr`` can be, or AssertionError naming what could not be followed."""
        where = f"{module.path.relative_to(ROOT)}:{getattr(expr, 'lineno', '?')}"
        assert depth < 8, f"{where}: the action is passed on too deep to follow"
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {expr.value}
        if isinstance(expr, ast.IfExp):
            return self.values(module, expr.body, depth) | self.values(module, expr.orelse, depth)
        if isinstance(expr, ast.BoolOp):  # `action or f"..."`: either side
            return set().union(*(self.values(module, v, depth) for v in expr.values))
        if isinstance(expr, ast.JoinedStr):
            results = {""}
            for part in expr.values:
                if isinstance(part, ast.Constant):
                    options = {str(part.value)}
                elif isinstance(part, ast.FormattedValue):
                    source = ast.unparse(part.value)
                    known = MODULE_SUBSCRIPT_VALUES.get(str(module.path.relative_to(ROOT)), SUBSCRIPT_VALUES)
                    options = known[source] if source in known else self.values(module, part.value, depth)
                else:
                    raise AssertionError(f"{where}: cannot read {ast.unparse(part)}")
                results = {r + o for r in results for o in options}
            return results
        if isinstance(expr, ast.Name):
            return self._name(module, expr, depth)
        raise AssertionError(f"{where}: cannot follow the action {ast.unparse(expr)!r}")

    def _name(self, module: Module, expr: ast.Name, depth: int) -> set[str]:
        function = self._function(module, expr)
        scope: ast.AST = function if function is not None else module.tree
        assigned = [
            node.value
            for node in ast.walk(scope)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)
        ]
        if function is not None:
            params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
            kwonly = [a.arg for a in function.args.kwonlyargs]
            if expr.id in params or expr.id in kwonly:
                found = self._arguments(function.name, expr.id, params, depth)
                return found | set().union(*(self.values(module, v, depth + 1) for v in assigned))
        if not assigned and function is not None:  # a module constant
            assigned = [
                node.value
                for node in module.tree.body
                if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)
            ]
        assert assigned, f"{module.path.relative_to(ROOT)}:{expr.lineno}: where does {expr.id} come from?"
        return set().union(*(self.values(module, v, depth + 1) for v in assigned))

    def _arguments(self, function: str, param: str, params: list[str], depth: int) -> set[str]:
        """What every call of ``function`` (anywhere) passes for ``param``; a call that leaves it
        out contributes nothing (the function then falls back to another part, read above)."""
        found: set[str] = set()
        calls = 0
        for module in self.modules:
            for node in ast.walk(module.tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name != function:
                    continue
                calls += 1
                for kw in node.keywords:
                    if kw.arg == param:
                        found |= self.values(module, kw.value, depth + 1)
                if param in params:
                    index = params.index(param)
                    if isinstance(node.func, ast.Attribute) and params and params[0] in ("self", "cls"):
                        index -= 1
                    if index < len(node.args):
                        found |= self.values(module, node.args[index], depth + 1)
        assert calls, f"nobody calls {function}(), which records the action {param}"
        return found


def recorded_actions(modules: list[Module]) -> dict[str, str]:
    """action -> where it is recorded."""
    reader = Reader(modules)
    actions: dict[str, str] = {}
    calls = 0
    for module in modules:
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
            ):
                calls += 1
                action = (
                    node.args[2]
                    if len(node.args) > 2
                    else next(kw.value for kw in node.keywords if kw.arg == "action")
                )
                for value in reader.values(module, action):
                    actions.setdefault(value, f"{module.path.relative_to(ROOT)}:{node.lineno}")
    assert calls > 40, "the reader finds the audit.record calls"
    return actions


def test_every_recorded_action_has_a_label() -> None:
    actions = recorded_actions(_modules())
    # the reader follows names, parameters and f-strings (not only literals)
    assert {"application.in_notice", "disbursement.batch_built", "application_list.exported",
            "person.exported_unmasked", "testing.slept", "program.version_added"} <= set(actions)  # fmt: skip
    missing = {a: where for a, where in actions.items() if a not in ACTION_LABELS}
    assert not missing, f"audit actions without a label in renshe/audit/labels.py: {missing}"


def test_every_label_is_in_chinese_and_english() -> None:
    catalog = i18n.catalog("zh_CN")
    for action, label in ACTION_LABELS.items():
        entry = catalog.get(label)
        assert entry is not None and entry.string, f"{action}: no Chinese for {label!r}"
        assert entry.string != label
    token = i18n.current_locale.set("en")
    try:
        assert action_label("person.exported") == "Person list exported"
    finally:
        i18n.current_locale.reset(token)
    token = i18n.current_locale.set("zh_CN")
    try:
        assert action_label("person.exported") == "导出人员名单"
        assert action_label("auth.tokens_revoked") == "吊销全部 API 令牌"
        assert action_label("no.such_action") == "no.such_action"  # an old record: the raw action
    finally:
        i18n.current_locale.reset(token)


def test_a_new_action_without_a_label_is_caught() -> None:
    """A planted module recording an unlabelled action through a parameter is read as such."""
    source = (
        "async def _note(t, a, action):\n    await audit.record(t, a, action)\n"
        "async def f(t, a):\n    await _note(t, a, f\"made.{'up' if t else 'down'}\")\n"
    )
    tree = ast.parse(source)
    parents = {c: n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
    planted = Module(ROOT / "src" / "planted.py", tree, parents)
    actions = recorded_actions([*_modules(), planted])
    assert {"made.up", "made.down"} <= set(actions)
    assert "made.up" not in ACTION_LABELS
