"""Which programs a beneficiary can possibly get (可申请的项目), asked before the application.

The new-application form offers a program only when the program's own eligibility rules, read on
what the registry already knows (residency, documents held, age on the application date,
graduation date; an enterprise's registration date and district), do not rule the beneficiary
out: a mainland resident is not offered a Hong Kong/Macao-only program. Nothing is restated
here: each rule is the one :class:`~renshe.subsidies.programs.eligibility.Rules` checks. A rule
that needs something not known yet stays open — the application's own facts (flags, limits),
the prior awards (once per lifetime, caps), a birth date or graduation date the registry lacks —
so a program is hidden only when it certainly cannot be granted; the full evaluation on saving
still gives every reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from renshe.subsidies.programs.eligibility import (
    R_NO_BIRTH_DATE,
    R_NO_GRADUATION,
    R_NO_REGISTRATION,
    R_NO_SEX,
    Rules,
    Situation,
)
from renshe.subsidies.programs.model import Beneficiary, BeneficiaryKind
from renshe.subsidies.programs.policy import PolicyVersion

# The rules that read only the registry's record of the beneficiary and the application date.
KNOWN_BEFORE = (
    "age",
    "residency",
    "documents",
    "graduated_within_years",
    "enterprise_registered_within_years",
    "enterprise_registered_in",
)
# Their answers that mean "not recorded yet", not "no".
NOT_KNOWN_YET = frozenset({R_NO_BIRTH_DATE, R_NO_SEX, R_NO_GRADUATION, R_NO_REGISTRATION})


def _rule_fails(name: str, value: Any, rules: Rules, s: Situation) -> bool:
    if name == "enterprise_registered_within_years" and isinstance(value, Mapping):
        # first and later claims differ; without the award history, the longer one may apply
        value = max(value.values())
    reasons = Rules({name: value}, rules.fact_specs).check(s)
    return any(r.msgid not in NOT_KNOWN_YET for r in reasons)


def ruled_out(rules: Rules, s: Situation) -> bool:
    """Whether the rules certainly refuse the beneficiary, whatever the application says."""
    for name, value in rules.data.items():
        if name in KNOWN_BEFORE and _rule_fails(name, value, rules, s):
            return True
        if name == "any_of" and all(ruled_out(Rules(group, rules.fact_specs), s) for group in value):
            return True
        kind = {"for_person": BeneficiaryKind.PERSON, "for_enterprise": BeneficiaryKind.ENTERPRISE}.get(name)
        if kind is not None and s.beneficiary.kind == kind and ruled_out(Rules(value, rules.fact_specs), s):
            return True
    return False


def possible(version: PolicyVersion, beneficiary: Beneficiary, on: date) -> bool:
    """Whether ``version`` could grant ``beneficiary`` something on ``on`` (enabled, open to its
    kind, and no rule known now that refuses it)."""
    if not version.enabled or beneficiary.kind not in version.program.beneficiary:
        return False
    situation = Situation(beneficiary, {}, on, program_code=version.program.code)
    return not ruled_out(version.terms.eligibility, situation)
