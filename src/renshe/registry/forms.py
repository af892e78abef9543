"""What the registry's HTML forms send, turned into the services' inputs (表单解析).

Form fields are named like the service's error keys (``name``, ``bank.account_number``), so an
error lands at its field without a mapping; a person's documents are repeated ``doc_type`` /
``doc_number`` pairs (error keys ``documents[i].type`` / ``documents[i].number``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from renshe.errors import ValidationFailed
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.imports.validate import ENTER_DATE
from renshe.registry.model import BankInput, DocumentInput, EnterpriseInput, PersonInput
from renshe.web.query_values import filter_day

PERSON_TEXT = (
    "name",
    "residency",
    "sex",
    "birth_date",
    "mobile",
    "education",
    "graduated_on",
    "school",
    "bank.account_number",
    "bank.account_name",
    "bank.bank_name",
    "bank.branch_code",
    "address",
    "notes",
)
ENTERPRISE_TEXT = (
    "name",
    "uscc",
    "legal_representative",
    "registered_on",
    "registered_district",
    "bank.account_number",
    "bank.account_name",
    "bank.bank_name",
    "bank.branch_code",
    "address",
    "notes",
)
BANK_FIELDS = ("bank.account_number", "bank.account_name", "bank.bank_name", "bank.branch_code")
# The account number is never shown on an edit form: changing any other bank field needs it again.
ACCOUNT_AGAIN = lazy("Enter the account number again to change the bank details.")


def bank_change(values: Mapping[str, str]) -> dict[str, str | None]:
    """The bank details an edit form entered (a new account number given), blanks as None."""
    return {
        "account_number": values["bank.account_number"],
        "account_name": values["bank.account_name"] or None,
        "bank_name": values["bank.bank_name"] or None,
        "branch_code": values["bank.branch_code"] or None,
    }


def text(form: Any, name: str) -> str:
    value = form.get(name)
    return str(value).strip() if value is not None else ""


def translate(
    errors: Mapping[str, str], params: Mapping[str, Mapping[str, object]] | None = None
) -> dict[str, str]:
    """Field → message in the user's language (placeholders filled)."""
    out: dict[str, str] = {}
    for key, msgid in errors.items():
        message = _(msgid)
        extra = (params or {}).get(key)
        if extra:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                message = message % dict(extra)
        out[key] = message
    return out


def failed(exc: ValidationFailed) -> dict[str, str]:
    return translate(exc.errors, getattr(exc, "field_params", None))


@dataclass(slots=True)
class PersonForm:
    values: dict[str, str]
    documents: list[dict[str, str]]
    confirm_warnings: bool = False
    date_errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: Any) -> PersonForm:
        values = {name: text(form, name) for name in PERSON_TEXT}
        types = [str(v) for v in form.getall("doc_type")] if "doc_type" in form else []
        numbers = [str(v) for v in form.getall("doc_number")] if "doc_number" in form else []
        docs = [{"type": t.strip(), "number": n.strip()} for t, n in zip(types, numbers, strict=False)]
        # empty extra rows are ignored, but the first row always stays on the form
        kept = [d for d in docs if d["number"]] or docs[:1] or [{"type": "prc_id", "number": ""}]
        return cls(values, kept, confirm_warnings=form.get("confirm_warnings") in ("1", "on", "true"))

    def day(self, name: str) -> date | None:
        raw = self.values.get(name) or ""
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.date_errors[name] = ENTER_DATE
            return None

    def bank(self) -> BankInput | None:
        if not any(self.values[f] for f in BANK_FIELDS):
            return None
        v = self.values
        return BankInput(
            v["bank.account_number"],
            v["bank.account_name"] or None,
            v["bank.bank_name"] or None,
            v["bank.branch_code"] or None,
        )

    def to_input(self) -> PersonInput:
        v = self.values
        return PersonInput(
            name=v["name"],
            documents=[
                DocumentInput(d["type"], d["number"]) for d in self.documents if d["number"] or d["type"]
            ],
            residency=v["residency"] or None,
            sex=v["sex"] or None,
            birth_date=self.day("birth_date"),
            mobile=v["mobile"] or None,
            education=v["education"] or None,
            graduated_on=self.day("graduated_on"),
            school=v["school"] or None,
            bank=self.bank(),
            address=v["address"] or None,
            notes=v["notes"] or None,
            confirm_warnings=self.confirm_warnings,
        )


@dataclass(slots=True)
class EnterpriseForm:
    values: dict[str, str]
    confirm_warnings: bool = False
    date_errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: Any) -> EnterpriseForm:
        return cls(
            {n: text(form, n) for n in ENTERPRISE_TEXT},
            confirm_warnings=form.get("confirm_warnings") in ("1", "on", "true"),
        )

    def day(self, name: str) -> date | None:
        raw = self.values.get(name) or ""
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.date_errors[name] = ENTER_DATE
            return None

    def bank(self) -> BankInput | None:
        v = self.values
        if not any(v[f] for f in BANK_FIELDS):
            return None
        return BankInput(
            v["bank.account_number"],
            v["bank.account_name"] or None,
            v["bank.bank_name"] or None,
            v["bank.branch_code"] or None,
        )

    def to_input(self) -> EnterpriseInput:
        v = self.values
        return EnterpriseInput(
            name=v["name"],
            uscc=v["uscc"],
            legal_representative=v["legal_representative"],
            registered_on=self.day("registered_on"),
            registered_district=v["registered_district"] or None,
            bank=self.bank(),
            address=v["address"] or None,
            notes=v["notes"] or None,
            confirm_warnings=self.confirm_warnings,
        )


def parse_day(raw: str | None) -> date | None:
    """A filter date (YYYY-MM-DD); unreadable → None (the filter is simply not applied), out of
    :mod:`renshe.date_range` → 400."""
    return filter_day(raw)
