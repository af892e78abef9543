"""Fraud signals (风险提示) for the reviewer: flags, never blocks.

Four situations (three from 03-subsidies "Fraud signals", one from issue 9), each computed
inside the caller's tenant
transaction (RLS keeps every query to the application's own district):

* ``shared_bank_account`` — the payee account is also on record for other payees of this
  district who are not related to the beneficiary. Accounts are compared by their blind index
  (the registry's ``bank_account_index``), never in clear. Related means linked by a
  person–enterprise link (直接关联), or sharing an enterprise (two of its people) or a person (two
  of their enterprises) through such links: a founder and her company, or two co-founders, may
  legitimately share an account.
* ``same_program_other_district`` — the person has received (or holds a live award of) the same
  program in another district: asked of the registry's city-wide yes/no gate, so nothing of the
  other district (which, when, how much) is known here, let alone shown.
* ``account_check_failed`` — the person's payee account fails the card check digit (Luhn). The
  registry takes such an account only when the clerk confirms it is correct (a warning, since some
  real debit cards fail the check), so every one of them was confirmed by the clerk — named,
  with the day, from the registry's audit record of the account. The reviewer still sees it:
  a mistyped account a clerk waved through pays a stranger.
  Enterprises are left out: their corporate (对公) account numbers mostly carry no Luhn digit.
* ``amounts_at_cap`` — this award and the last :data:`AT_CAP_RUN` awards of the program in this
  district, by approval time, were all limited by a maximum of the program's rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from renshe.i18n import gettext, lazy
from renshe.registry import citywide
from renshe.registry.identifiers import luhn_valid
from renshe.registry.sealing import bank_account_index
from renshe.registry.service import Caller
from renshe.subsidies.applications import store
from renshe.subsidies.applications.service import AWARDED

SHARED_BANK_ACCOUNT = "shared_bank_account"
SAME_PROGRAM_OTHER_DISTRICT = "same_program_other_district"
AMOUNTS_AT_CAP = "amounts_at_cap"
ACCOUNT_CHECK_FAILED = "account_check_failed"

# How many awards in a row at the maximum make a pattern worth a second look. Five: one or two
# capped awards are ordinary (big employers hire more than the counted maximum); five in a row,
# with the one under review the sixth, suggests facts entered to reach the maximum.
AT_CAP_RUN = 5
# The caps of the beneficiary (what is left of a yearly or lifetime maximum) lower an amount for
# reasons of the person's history, not because the facts reached the program's maximum.
BENEFICIARY_CAPS = frozenset({"per_year", "lifetime", "per_year_awards", "lifetime_awards"})
# Awards: approved and not ended unpaid.

M_SHARED = lazy(
    "The payee's bank account is also on record for %(count)s other payee(s) of this district "
    "who are not linked to the beneficiary."
)
M_OTHER_DISTRICT = lazy("This person has received or been awarded the same subsidy in another district.")
M_ACCOUNT_CHECK = lazy(
    "The payee's bank account number fails the card check digit; the clerk confirmed it as correct "
    "when it was entered. Compare it with the bank card or the bank's letter before approving."
)
M_ACCOUNT_CHECK_BY = lazy(
    "The payee's bank account number fails the card check digit; %(who)s confirmed it as correct "
    "when entering it on %(day)s. Compare it with the bank card or the bank's letter before approving."
)
M_AT_CAP = lazy(
    "This amount is at the subsidy's maximum, like each of the last %(count)s awards of this "
    "subsidy in this district."
)


@dataclass(frozen=True, slots=True)
class Signal:
    kind: str  # shared_bank_account | account_check_failed | same_program_other_district | amounts_at_cap
    message: str  # translated, with no personal number in it
    details: dict[str, Any]  # counts, program code, ids of this district's applications only


def as_json(signal: Signal) -> dict[str, Any]:
    return {"kind": signal.kind, "message": signal.message, "details": signal.details}


async def signals_for(caller: Caller, application: Mapping[str, Any]) -> list[Signal]:
    """The signals for ``application`` (an ``applications`` row), inside the caller's open tenant
    transaction. Only flags: nothing here refuses anything."""
    del caller  # RLS of the open transaction already limits every query to what they may read
    found = [
        await _shared_bank_account(application),
        await _account_check_failed(application),
        await _same_program_other_district(application),
        await _amounts_at_cap(application),
    ]
    return [s for s in found if s is not None]


# ---------------------------------------------------------------- shared bank account


async def _account_index(app: Mapping[str, Any]) -> bytes | None:
    """The blind index of the account the award pays (its frozen snapshot once approved, else the
    beneficiary's account in the registry)."""
    if app["payee_account_enc"]:
        return bank_account_index(store.payee_account(app))
    table, beneficiary = (
        ("persons", app["person_id"]) if app["person_id"] else ("enterprises", app["enterprise_id"])
    )
    found = await store.conn().fetchval(
        f"SELECT bank_account_index FROM {table} WHERE tenant_id = $1 AND id = $2",
        app["tenant_id"],
        beneficiary,
    )
    return bytes(found) if found is not None else None


async def _related(app: Mapping[str, Any]) -> tuple[set[UUID], set[UUID]]:
    """(persons, enterprises) related to the beneficiary through person–enterprise links, the
    beneficiary included."""
    tenant_id, person, enterprise = app["tenant_id"], app["person_id"], app["enterprise_id"]
    rows = await store.conn().fetch(
        """WITH near AS (
             SELECT person_id, enterprise_id FROM person_enterprise_links
             WHERE tenant_id = $1 AND (person_id = $2 OR enterprise_id = $3))
           SELECT l.person_id, l.enterprise_id FROM person_enterprise_links l
           WHERE l.tenant_id = $1 AND (l.enterprise_id IN (SELECT enterprise_id FROM near)
                                       OR l.person_id IN (SELECT person_id FROM near))""",
        tenant_id, person, enterprise,
    )  # fmt: skip
    persons = {person} if person else set()
    enterprises = {enterprise} if enterprise else set()
    if person:  # P — E (direct) and P — E — P' (co-workers, co-founders)
        direct = {r["enterprise_id"] for r in rows if r["person_id"] == person}
        enterprises |= direct
        persons |= {r["person_id"] for r in rows if r["enterprise_id"] in direct}
    else:  # E — P (direct) and E — P — E' (the same founder's companies)
        direct = {r["person_id"] for r in rows if r["enterprise_id"] == enterprise}
        persons |= direct
        enterprises |= {r["enterprise_id"] for r in rows if r["person_id"] in direct}
    return persons, enterprises


async def _shared_bank_account(app: Mapping[str, Any]) -> Signal | None:
    index = await _account_index(app)
    if index is None:
        return None
    tenant_id = app["tenant_id"]
    holders = await store.conn().fetch(
        """SELECT 'person' AS kind, id FROM persons WHERE tenant_id = $1 AND bank_account_index = $2
           UNION ALL
           SELECT 'enterprise', id FROM enterprises WHERE tenant_id = $1 AND bank_account_index = $2""",
        tenant_id,
        index,
    )
    persons, enterprises = await _related(app)
    others = [r["id"] for r in holders if r["id"] not in (persons if r["kind"] == "person" else enterprises)]
    if not others:
        return None
    application_ids = await store.conn().fetch(
        """SELECT id FROM applications WHERE tenant_id = $1 AND id <> $2
             AND (person_id = ANY($3::uuid[]) OR enterprise_id = ANY($3::uuid[]))
           ORDER BY created_at DESC, id LIMIT 50""",
        tenant_id, app["id"], others,
    )  # fmt: skip
    return Signal(
        SHARED_BANK_ACCOUNT,
        gettext(M_SHARED) % {"count": len(others)},
        {"other_payees": len(others), "application_ids": [str(r["id"]) for r in application_ids]},
    )


# ---------------------------------------------------------------- account failing its check


async def _account_check_failed(app: Mapping[str, Any]) -> Signal | None:
    if app["person_id"] is None:
        return None
    if app["payee_account_enc"]:  # frozen at approval: the account that will be paid
        digits: str | None = store.payee_account(app)
    else:
        payee = await store.registry_payee(app)
        digits = payee["digits"] if payee else None
    if digits is None or luhn_valid(digits):
        return None
    entered = await _account_entered(app)
    if entered is None:
        return Signal(ACCOUNT_CHECK_FAILED, gettext(M_ACCOUNT_CHECK), {"confirmed_by_clerk": True})
    who, day = entered
    return Signal(
        ACCOUNT_CHECK_FAILED,
        gettext(M_ACCOUNT_CHECK_BY) % {"who": who, "day": day},
        {"confirmed_by_clerk": True, "confirmed_by": who, "confirmed_on": day},
    )


async def _account_entered(app: Mapping[str, Any]) -> tuple[str, str] | None:
    """(who, day) of the registry change that put the person's current account on record: the
    staff member who confirmed the failing check. From the audit log (masked account only)."""
    row = await store.conn().fetchrow(
        """SELECT coalesce(u.display_name, a.actor_username) AS who,
                  (a.at AT TIME ZONE 'Asia/Shanghai')::date AS day
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
           WHERE a.tenant_id = $1 AND a.object_type = 'person' AND a.object_id = $2
             AND a.action IN ('person.registered', 'person.updated')
             AND a.after->>'bank_account' IS NOT NULL
             AND a.after->>'bank_account' IS DISTINCT FROM a.before->>'bank_account'
           ORDER BY a.seq DESC LIMIT 1""",
        app["tenant_id"], str(app["person_id"]),
    )  # fmt: skip
    if row is None or not row["who"]:
        return None
    return str(row["who"]), row["day"].isoformat()


# ---------------------------------------------------------------- same program, other district


async def _same_program_other_district(app: Mapping[str, Any]) -> Signal | None:
    if app["person_id"] is None:
        return None
    if not await citywide.has_received_program_elsewhere(
        app["tenant_id"], app["person_id"], app["program_code"]
    ):
        return None
    return Signal(
        SAME_PROGRAM_OTHER_DISTRICT, gettext(M_OTHER_DISTRICT), {"program_code": app["program_code"]}
    )


# ---------------------------------------------------------------- amounts at the cap


def _at_cap(evaluation: Any) -> bool:
    """Whether a maximum of the program's rules (units, months, monthly or total maximum) bound
    the amount. Read from the frozen evaluation's ``capped_by``; the beneficiary's own caps do
    not count (see :data:`BENEFICIARY_CAPS`)."""
    data = store.as_json(evaluation) or {}
    return any(name not in BENEFICIARY_CAPS for name in data.get("capped_by") or ())


async def _amounts_at_cap(app: Mapping[str, Any]) -> Signal | None:
    """This award at the maximum, and the :data:`AT_CAP_RUN` awards of the program approved last
    in this district before it (by approval time) all at the maximum too."""
    if not _at_cap(app["evaluation"]):
        return None
    rows = await store.conn().fetch(
        """SELECT id, evaluation FROM applications
           WHERE tenant_id = $1 AND program_code = $2 AND id <> $3 AND state = ANY($4::text[])
             AND decided_at IS NOT NULL AND ($5::timestamptz IS NULL OR decided_at < $5)
           ORDER BY decided_at DESC, id DESC LIMIT $6""",
        app["tenant_id"], app["program_code"], app["id"], list(AWARDED), app["decided_at"], AT_CAP_RUN,
    )  # fmt: skip
    if len(rows) < AT_CAP_RUN or not all(_at_cap(r["evaluation"]) for r in rows):
        return None
    return Signal(
        AMOUNTS_AT_CAP,
        gettext(M_AT_CAP) % {"count": AT_CAP_RUN},
        {
            "program_code": app["program_code"],
            "run": AT_CAP_RUN,
            "application_ids": [str(r["id"]) for r in rows],
        },
    )


__all__ = ["AT_CAP_RUN", "Signal", "as_json", "signals_for"]
