"""演示数据 — synthetic people and enterprises for every district (``renshe seed --demo``).

Everything is invented but valid: common surnames and given names; resident ID numbers whose
address code is the district's own (440703 …) with correct check characters; Hong Kong and Macao
residents with an identity card, a home-return permit and an 810000/820000 residence permit;
mobiles; Luhn-valid bank cards; enterprises with valid credit codes of the district; founders and
employees linked to them.

Registered in the demo's story (``renshe.demo_story``): people and enterprises over two years
that end two months before the seeding day, in office hours, an enterprise after its business
registration — before any application about them; the one audit record of the load before all.

Idempotent: every record's id and numbers come from a random generator seeded with the district
code, so a second run computes the same records and inserts none of them (rows already there
are skipped, and so is a person one of whose documents a clerk has registered meanwhile).
``scale="city"`` gives 50,000 people city-wide, inserted in batches with ``executemany`` inside
short tenant transactions — the same sealed columns, blind indexes and masks as the services.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from renshe import clock, demo_story
from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.registry import identifiers as ids
from renshe.registry.identifiers import hongkong, resident_id
from renshe.registry.identifiers import uscc as uscc_rules
from renshe.registry.masking import mask_bank_account, mask_document, mask_mobile
from renshe.registry.sealing import (
    DOCUMENTS,
    ENTERPRISES,
    PERSONS,
    bank_account_index,
    document_index,
    mobile_index,
    seal,
)
from renshe.settings import Settings

NAMESPACE = uuid.UUID("6f1c1d52-3c1e-4d7a-9a55-2f7c0e1b9d10")
PEOPLE_PER_DISTRICT = {"small": 300, "city": 50_000, "bench": 50_000}  # city: the total, spread
# Besides the random draw (where one person in twelve lives in Hong Kong or Macao, about half of
# them over 45): young Hong Kong and Macao residents of each district, the cohort the youth
# register follows (港澳青年, renshe.hkmo.demo) — drawn apart, so the draw above stays the same.
YOUNG_RESIDENTS = 24
YOUNG_INDEX = 1_000_000  # their ids' numbers, far from the draw's
ENTERPRISES_PER_DISTRICT = {"small": 30, "city": 400, "bench": 400}
BATCH = 2_000
SEEDER = audit.Actor(user_id=None, username="seed", role=None)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏"
    "程吕丁沈任姚卢钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江薛尹段雷黎史龙陶贺顾毛郝龚邵"
    "万严赖覃洪武莫孔区甄司徒"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力斌宇浩凯"
    "俊峰欣怡婷雪琳晨阳嘉颖佳子梓涵思彤美玲志坚家豪健锦荣淑仪嘉欣宝珠绮雯"
)
BANKS = (
    "中国工商银行江门分行",
    "中国农业银行江门分行",
    "中国银行江门分行",
    "中国建设银行江门分行",
    "江门农村商业银行",
    "广东台山农村商业银行",
    "招商银行江门分行",
)
CARD_PREFIXES = ("622202", "622848", "621661", "621700", "623595", "622588")
SCHOOLS = (
    "五邑大学",
    "江门职业技术学院",
    "广东江门中医药职业学院",
    "中山大学",
    "华南理工大学",
    "暨南大学",
    "广东工业大学",
    "江门市第一中学",
    "新会第一中学",
    "台山第一中学",
)
EDUCATIONS = (
    "junior_secondary",
    "senior_secondary",
    "vocational",
    "associate",
    "bachelor",
    "bachelor",
    "master",
    "doctorate",
    "primary",
    None,
)
TRADES = (
    "科技",
    "电子",
    "五金",
    "食品",
    "纺织",
    "贸易",
    "物流",
    "餐饮",
    "建材",
    "摩托车配件",
    "家具",
    "印刷",
    "照明",
    "水暖卫浴",
    "电商",
    "农业",
    "文旅",
    "咨询",
)
STREETS = ("建设路", "港口路", "迎宾大道", "胜利路", "五邑路", "江华路")
WORDS = (
    "华",
    "侨",
    "新",
    "宏",
    "达",
    "昌",
    "兴",
    "盛",
    "嘉",
    "鸿",
    "锦",
    "恒",
    "邑",
    "冈",
    "潭",
    "陂",
    "信",
    "德",
)
USCC_ALPHABET = uscc_rules.ALPHABET


@dataclass(slots=True)
class Doc:
    type: ids.DocumentType
    number: str
    identity_key: str
    renewal_count: int | None = None


@dataclass(slots=True)
class PlannedPerson:
    id: UUID
    name: str
    sex: str
    birth_date: date
    residency: str
    documents: list[Doc]
    mobile: str
    account: str
    bank_name: str
    education: str | None
    graduated_on: date | None
    school: str | None
    address: str
    created_at: datetime
    indexes: list[tuple[str, bytes]] = field(default_factory=list)


def _luhn_card(rng: random.Random) -> str:
    body = rng.choice(CARD_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(12))
    return body + ids.luhn_check_digit(body)


def _id_number(area: str, born: date, seq: int) -> str:
    first17 = f"{area}{born:%Y%m%d}{seq:03d}"
    return first17 + resident_id.check_character(first17)


def _doc(kind: ids.DocumentType, raw: str) -> Doc:
    valid = ids.validate_document(kind, raw)  # every synthetic number is checked like a clerk's
    return Doc(kind, valid.number, valid.identity_key, valid.renewal_count)


def plan_person(
    rng: random.Random, code: str, index: int, used: set[tuple[str, str]], today: date
) -> PlannedPerson:
    """One synthetic person of district ``code`` (the same for the same generator state)."""
    while True:
        born = date(1958, 1, 1) + timedelta(days=rng.randrange(45 * 365))
        seq = rng.randrange(1000)
        male = seq % 2 == 1
        roll = rng.random()
        if roll < 0.05:  # Hong Kong resident
            letter = rng.choice("ACEGHKMPRVYZ")
            digits = f"{rng.randrange(10**6):06d}"
            docs = [
                _doc(ids.DocumentType.HKID, f"{letter}{digits}({hongkong.check_character(letter, digits)})"),
                _doc(
                    ids.DocumentType.HOME_RETURN_PERMIT,
                    f"H{rng.randrange(10**8):08d}{rng.randrange(1, 6):02d}",
                ),
                _doc(ids.DocumentType.HKMO_RESIDENCE_PERMIT, _id_number("810000", born, seq)),
            ]
            residency = "hong_kong"
        elif roll < 0.08:  # Macao resident
            docs = [
                _doc(ids.DocumentType.MACAU_ID, f"{rng.choice('157')}{rng.randrange(10**7):07d}"),
                _doc(ids.DocumentType.HOME_RETURN_PERMIT, f"M{rng.randrange(10**8):08d}"),
                _doc(ids.DocumentType.HKMO_RESIDENCE_PERMIT, _id_number("820000", born, seq)),
            ]
            residency = "macao"
        else:
            docs = [_doc(ids.DocumentType.PRC_ID, _id_number(code, born, seq))]
            residency = "mainland"
        keys = {(d.type.value, d.identity_key) for d in docs}
        if not keys & used:
            used.update(keys)
            break
    surname = rng.choice(SURNAMES[:-2]) if rng.random() > 0.01 else "司徒"
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2, 2))))
    education = rng.choice(EDUCATIONS)
    graduated = None
    if education in ("associate", "bachelor", "master", "doctorate", "vocational", "senior_secondary"):
        graduated = min(date(born.year + rng.randrange(18, 28), 7, 1), today)
    return PlannedPerson(
        id=uuid.uuid5(NAMESPACE, f"{code}:person:{index}"),
        name=surname + given,
        sex="male" if male else "female",
        birth_date=born,
        residency=residency,
        documents=docs,
        mobile=f"1{rng.choice('3578')}{rng.randrange(10)}{rng.randrange(10**8):08d}",
        account=_luhn_card(rng),
        bank_name=rng.choice(BANKS),
        education=education,
        graduated_on=graduated,
        school=rng.choice(SCHOOLS) if graduated else None,
        address=f"江门市{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
        created_at=demo_story.registered_at(
            today, rng.randrange(demo_story.REGISTRATION_DAYS), rng.randrange(24 * 60)
        ),
    )


def plan_young_residents(code: str, used: set[tuple[str, str]], today: date) -> list[PlannedPerson]:
    """:data:`YOUNG_RESIDENTS` Hong Kong or Macao residents of district ``code`` aged 22 to 40,
    from a generator of their own (the same every run), registered over the same two years."""
    rng = random.Random(f"renshe-demo-young-residents:{code}")
    found: list[PlannedPerson] = []
    index = YOUNG_INDEX
    while len(found) < YOUNG_RESIDENTS:
        person = plan_person(rng, code, index, used, today)
        index += 1
        age = (
            today.year
            - person.birth_date.year
            - ((today.month, today.day) < (person.birth_date.month, person.birth_date.day))
        )
        if person.residency in ("hong_kong", "macao") and 22 <= age <= 40:
            found.append(person)
    return found


def _uscc(rng: random.Random, code: str) -> str:
    org = "".join(rng.choice(USCC_ALPHABET) for _ in range(8))
    body = "91" + code + org + uscc_rules.organization_check_character(org)
    if any(ch not in USCC_ALPHABET for ch in body):
        return _uscc(rng, code)
    return ids.validate_uscc(body + uscc_rules.check_character(body)).code


async def _insert_people(tenant_id: UUID, batch: list[PlannedPerson]) -> int:
    conn = current_transaction().connection
    for p in batch:
        p.indexes = [(d.type.value, document_index(d.type, d.identity_key)) for d in p.documents]
    existing_ids = {
        r["id"]
        for r in await conn.fetch(
            "SELECT id FROM persons WHERE tenant_id = $1 AND id = ANY($2::uuid[])",
            tenant_id,
            [p.id for p in batch],
        )
    }
    taken = {
        (r["doc_type"], bytes(r["number_index"]))
        for r in await conn.fetch(
            """SELECT doc_type, number_index FROM person_documents
               WHERE tenant_id = $1 AND number_index = ANY($2::bytea[])""",
            tenant_id,
            [i for p in batch for _, i in p.indexes],
        )
    }
    fresh = [p for p in batch if p.id not in existing_ids and not taken & set(p.indexes)]
    if not fresh:
        return 0
    await conn.executemany(
        """INSERT INTO persons (tenant_id, id, name, sex, birth_date, residency, mobile_enc, mobile_index,
             mobile_masked, education, graduated_on, school, bank_account_enc, bank_account_index,
             bank_account_masked, bank_account_name, bank_name, address, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                   $19, $19)""",
        [
            (
                tenant_id,
                p.id,
                p.name,
                p.sex,
                p.birth_date,
                p.residency,
                seal(PERSONS, "mobile", tenant_id, p.id, p.mobile),
                mobile_index(p.mobile),
                mask_mobile(p.mobile),
                p.education,
                p.graduated_on,
                p.school,
                seal(PERSONS, "bank_account", tenant_id, p.id, p.account),
                bank_account_index(p.account),
                mask_bank_account(p.account),
                p.name,
                p.bank_name,
                p.address,
                p.created_at,
            )
            for p in fresh
        ],
    )
    rows = []
    for p in fresh:
        for position, (d, (_, index)) in enumerate(zip(p.documents, p.indexes, strict=True)):
            doc_id = uuid.uuid5(NAMESPACE, f"{p.id}:doc:{position}")
            rows.append(
                (
                    tenant_id,
                    doc_id,
                    p.id,
                    d.type.value,
                    seal(DOCUMENTS, "number", tenant_id, doc_id, d.number),
                    index,
                    mask_document(d.type, d.number),
                    d.renewal_count,
                    position,
                    p.created_at,
                )
            )
    await conn.executemany(
        """INSERT INTO person_documents (tenant_id, id, person_id, doc_type, number_enc, number_index,
             number_masked, renewal_count, position, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        rows,
    )
    return len(fresh)


def _entered(today: date, registered: date, rng: random.Random) -> datetime:
    """When an enterprise registered on ``registered`` was entered in the registry: in the demo's
    registration window, never before its registration (a firm founded late in the window is
    entered within a month of it)."""
    days_back = rng.randrange(demo_story.REGISTRATION_DAYS)
    entered = demo_story.registered_at(today, days_back, rng.randrange(1440))
    if entered.date() <= registered:
        soon_after = registered + timedelta(days=rng.randrange(1, 30))
        entered = demo_story.office_instant(soon_after, rng.randrange(1440))
    return min(entered, demo_story.registered_at(today, 0, demo_story.OFFICE_MINUTES - 1))


async def _seed_enterprises(
    tenant_id: UUID, code: str, count: int, people: list[PlannedPerson], today: date
) -> tuple[int, int]:
    rng = random.Random(f"renshe-demo-enterprises:{code}")
    dates = random.Random(f"renshe-demo-entered:{code}")  # its own draws: the firms stay the same
    conn = current_transaction().connection
    rows, links = [], []
    for i in range(count):
        eid = uuid.uuid5(NAMESPACE, f"{code}:enterprise:{i}")
        name = f"江门市{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司"
        founder = people[rng.randrange(len(people))] if people else None
        account = "44050" + "".join(rng.choice("0123456789") for _ in range(15))
        registered = date(2005, 1, 1) + timedelta(days=rng.randrange(7000))
        entered = _entered(today, registered, dates)
        rows.append(
            (
                tenant_id,
                eid,
                f"{name[:-4]}{i + 1}号{name[-4:]}" if i % 7 == 6 else name,
                _uscc(rng, code),
                founder.name if founder else "李大明",
                registered,
                code,
                seal(ENTERPRISES, "bank_account", tenant_id, eid, account),
                bank_account_index(account),
                mask_bank_account(account),
                rng.choice(BANKS),
                entered,
            )
        )
        if founder:  # a link is entered once both of its records are
            links.append(
                (tenant_id, uuid.uuid5(NAMESPACE, f"{eid}:founder"), founder.id, eid, "founder", registered,
                 max(entered, founder.created_at))
            )  # fmt: skip
            for k in range(rng.randrange(1, 5)):
                worker = people[rng.randrange(len(people))]
                since = min(registered + timedelta(days=rng.randrange(2000)), today)
                links.append(
                    (
                        tenant_id,
                        uuid.uuid5(NAMESPACE, f"{eid}:employee:{k}"),
                        worker.id,
                        eid,
                        "employee",
                        since,
                        max(entered, worker.created_at),
                    )
                )
    # a credit code a clerk registered meanwhile is skipped (ON CONFLICT), like an existing row
    inserted = 0
    for row in rows:
        status = await conn.execute(
            """INSERT INTO enterprises (tenant_id, id, name, uscc, legal_representative, registered_on,
                 registered_district, bank_account_enc, bank_account_index, bank_account_masked, bank_name,
                 created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) ON CONFLICT DO NOTHING""",
            *row,
        )
        inserted += status.endswith(" 1")
    linked = 0
    for link in links:
        status = await conn.execute(
            """INSERT INTO person_enterprise_links (tenant_id, id, person_id, enterprise_id, role, since,
                 created_at)
               SELECT $1, $2, $3, $4, $5, $6, $7
               WHERE EXISTS (SELECT 1 FROM persons WHERE tenant_id = $1 AND id = $3)
                 AND EXISTS (SELECT 1 FROM enterprises WHERE tenant_id = $1 AND id = $4)
               ON CONFLICT DO NOTHING""",
            *link,
        )
        linked += status.endswith(" 1")
    return inserted, linked


async def _districts() -> list[tuple[UUID, str]]:
    async with tenant_transaction(TenantContext.none()):
        rows = await current_transaction().connection.fetch(
            "SELECT id, code FROM org_units WHERE active AND kind = 'district' ORDER BY code"
        )
    return [(r["id"], r["code"]) for r in rows]


async def seed_demo_registry(settings: Settings, scale: str = "small") -> dict[str, Any]:
    """Seed every district's people and enterprises; returns counts of what was added."""
    del settings  # the pool is already open; kept for the seed commands' common signature
    districts = await _districts()
    if not districts:
        return {"people": 0, "enterprises": 0, "links": 0}
    wanted = PEOPLE_PER_DISTRICT.get(scale, 300)
    # "small" is per district; the larger scales are city-wide totals, spread over the districts
    counts = [wanted] * len(districts)
    if scale != "small":
        counts = [wanted // len(districts) + (i < wanted % len(districts)) for i in range(len(districts))]
    totals = {"people": 0, "enterprises": 0, "links": 0}
    today = clock.today()
    for (tenant_id, code), per_district in zip(districts, counts, strict=True):
        rng = random.Random(f"renshe-demo-people:{code}")
        used: set[tuple[str, str]] = set()
        planned = [plan_person(rng, code, i, used, today) for i in range(per_district)]
        everyone = planned + plan_young_residents(code, used, today)
        added = 0
        for start in range(0, len(everyone), BATCH):
            async with tenant_transaction(TenantContext.district(tenant_id)):
                added += await _insert_people(tenant_id, everyone[start : start + BATCH])
        async with tenant_transaction(TenantContext.district(tenant_id)):
            enterprises, links = await _seed_enterprises(
                tenant_id, code, ENTERPRISES_PER_DISTRICT.get(scale, 30), planned[: min(len(planned), 2000)],
                today,
            )  # fmt: skip
            if added or enterprises or links:
                with clock.story_at(demo_story.registry_loaded(today)):
                    await audit.record(
                        tenant_id,
                        SEEDER,
                        "registry.demo_seeded",
                        object_type="registry",
                        after={"people": added, "enterprises": enterprises, "links": links},
                    )
        totals["people"] += added
        totals["enterprises"] += enterprises
        totals["links"] += links
    return totals
