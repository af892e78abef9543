"""The nightly build's rarer turns, each found by mutation testing (docs/testing.md, "The fourth
run"): a part sealed by another run between two chunks, a chunk of a part in which every award is
already in a live line, and the last day of a public notice. Each test was seen failing on the
mutants it names before it was kept."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta

import asyncpg
import pytest

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement import build as build_module
from renshe.disbursement.build import build
from tests.disbursement.awards import batches_with_lines, district, live_lines_per_award, make_ready, states
from tests.disbursement.test_build import _drain, _hold_back, _release, nightly

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.usefixtures("db")]


async def _parts_of(tenant: uuid.UUID, build_key: str) -> list[tuple[int, str, int]]:
    """Every part a build key made: (part, state, live lines), in part order."""
    async with tenant_transaction(TenantContext.district(tenant)):
        rows = await current_transaction().connection.fetch(
            """SELECT b.part, b.state, (SELECT count(*) FROM payment_lines l WHERE l.tenant_id = b.tenant_id
                      AND l.batch_id = b.id AND l.state <> 'cancelled') AS lines
               FROM disbursement_batches b WHERE b.tenant_id = $1 AND starts_with(b.build_key, $2)
               ORDER BY b.part""",
            tenant, build_key,
        )  # fmt: skip
    return [(r["part"], r["state"], r["lines"]) for r in rows]


async def test_a_part_sealed_by_another_run_between_two_chunks_keeps_its_lines_and_the_rest_go_on(
    admin_url: str,
) -> None:
    """Another run of the same night seals the part this builder is filling (between two of its
    chunks): the builder must notice, count that part among the night's files, and put the rest
    of the awards in a new part — none left ready, none counted twice.
    (build.py ``_take`` mutants 22, 23, 25–27, 30, 32, 33: the chunk that reports the sealed part.)"""
    tenant = await district("440781")
    day = date(2026, 4, 24)
    await _drain(tenant, day - timedelta(days=1))  # a key of its own: not this build's
    apps = await make_ready(admin_url, tenant, 9, amount_fen=20_202)
    request = nightly(tenant, day, max_lines=10, chunk_lines=3)
    sealed: list[str] = []

    async def other_run_seals(done: int, total: int | None) -> None:
        if done and not sealed:  # after the first chunk: the part is building with 3 lines
            async with tenant_transaction(TenantContext.district(tenant)):
                part = await current_transaction().connection.fetchval(
                    """SELECT id FROM disbursement_batches WHERE tenant_id = $1 AND state = 'building'
                         AND starts_with(build_key, $2)""",
                    tenant, request.key_stem + ":",
                )  # fmt: skip
                sealed.append(await build_module._seal(request, part))

    result = await build(request, progress=other_run_seals)

    assert sealed == ["built"]
    assert result.lines_added == 9
    assert await live_lines_per_award(tenant, apps) == {a: 1 for a in apps}
    assert await states(tenant, apps) == {"in_batch": 9}
    parts = await _parts_of(tenant, request.key_stem + ":")
    assert parts == [(1, "built", 3), (2, "built", 6)]
    built = await batches_with_lines(tenant, result.batches)
    assert [(b["part"], len(lines)) for b, lines in built] == [(1, 3), (2, 6)]  # both are the night's files


async def test_a_chunk_whose_awards_all_have_a_live_line_leaves_the_part_open_for_the_awards_after(
    admin_url: str,
) -> None:
    """In the middle of a part, a chunk of awards that all already have a live line (what no code
    path does; a superuser's hand) moves nothing: the part must stay this builder's, take the
    awards after it and be sealed — not be forgotten half-built while a new part takes the rest.
    (build.py ``_take`` mutant 123: the empty chunk of an existing part taken for a new part's.)"""
    tenant = await district("440781")
    await _drain(tenant, date(2026, 4, 26))
    fresh = await make_ready(admin_url, tenant, 3)
    built: list[uuid.UUID] = []
    # an award already in a line whose id falls between the fresh ones'
    while not [b for b in built if min(fresh) < b < max(fresh)]:
        batch = await make_ready(admin_url, tenant, 5)
        built += batch
        await _hold_back(admin_url, fresh)
        await build(nightly(tenant, date(2026, 4, 27)))
        await _release(admin_url, fresh)
    stuck = next(b for b in built if min(fresh) < b < max(fresh))
    request = nightly(tenant, date(2026, 4, 28), chunk_lines=1)
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute("UPDATE applications SET state = 'ready' WHERE id = $1", stuck)
        try:
            result = await build(request)
        finally:
            await conn.execute("UPDATE applications SET state = 'in_batch' WHERE id = $1", stuck)
    finally:
        await conn.close()
    assert await live_lines_per_award(tenant, [*fresh, stuck]) == {a: 1 for a in (*fresh, stuck)}
    assert await _parts_of(tenant, request.key_stem + ":") == [(1, "built", 3)]  # one file, sealed
    assert result.lines_added == 3 and len(result.batches) == 1


async def test_an_award_is_built_from_the_last_day_of_its_public_notice_not_before(admin_url: str) -> None:
    """An award under public notice (公示) is paid from the night of the day its notice ends —
    not a day earlier. (build.py ``_take`` mutant 65: the business date not passed to the query.)"""
    tenant = await district("440781")
    day = date(2026, 4, 29)
    await _drain(tenant, day - timedelta(days=1))  # a key of its own: not this build's
    ended, ends_today, ends_tomorrow = await make_ready(admin_url, tenant, 3)
    conn = await asyncpg.connect(admin_url)
    try:
        for app, ends in (
            (ended, day - timedelta(days=3)),
            (ends_today, day),
            (ends_tomorrow, day + timedelta(days=1)),
        ):
            await conn.execute("UPDATE applications SET notice_ends_on = $2 WHERE id = $1", app, ends)
    finally:
        await conn.close()

    first = await build(nightly(tenant, day))
    assert await live_lines_per_award(tenant, [ended, ends_today, ends_tomorrow]) == {
        ended: 1, ends_today: 1, ends_tomorrow: 0
    }  # fmt: skip
    assert first.lines_added == 2 and await states(tenant, [ends_tomorrow]) == {"ready": 1}

    second = await build(nightly(tenant, day + timedelta(days=1)))  # its notice has ended: paid next night
    assert second.lines_added == 1 and await live_lines_per_award(tenant, [ends_tomorrow]) == {
        ends_tomorrow: 1
    }


async def test_more_builders_than_files_start_one_builder_per_file(admin_url: str) -> None:
    """Fifteen awards at ten lines a file with four builders: a builder per file at most, each
    award once, every file sealed within the maximum.
    (build.py ``build`` mutant 63: the number of files a fraction, which no loop can count.)"""
    tenant = await district("440781")
    day = date(2026, 5, 4)
    await _drain(tenant, day - timedelta(days=1))  # a key of its own: not this build's
    apps = await make_ready(admin_url, tenant, 15, amount_fen=30_303)
    request = replace(nightly(tenant, day, max_lines=10, chunk_lines=5), builders=4)

    result = await build(request)

    assert result.lines_added == 15
    assert await live_lines_per_award(tenant, apps) == {a: 1 for a in apps}
    parts = await _parts_of(tenant, request.key_stem + ":")
    assert sum(lines for _, _, lines in parts) == 15 and all(s == "built" and n <= 10 for _, s, n in parts)


class _BankDown(Exception):
    pass


async def test_a_builders_failure_is_raised_as_itself(
    admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A builder that fails stops the build with its own error (the job's log and the operator see
    what went wrong), not an error of the error handling. Nothing it was doing is left half-done.
    (build.py ``build`` mutant 78: the second failure of a group of one.)"""
    tenant = await district("440781")
    day = date(2026, 5, 7)
    await _drain(tenant, day - timedelta(days=1))  # a key of its own: not this build's
    apps = await make_ready(admin_url, tenant, 2)

    async def failing(*args: object) -> set[uuid.UUID]:
        raise _BankDown("payee account store unreachable")

    monkeypatch.setattr(build_module, "_add_lines", failing)
    with pytest.raises(_BankDown):
        await build(nightly(tenant, day))
    monkeypatch.undo()
    assert await states(tenant, apps) == {"ready": 2}  # the failed chunk rolled back
    assert (await build(nightly(tenant, day))).lines_added == 2  # and the next run builds them
