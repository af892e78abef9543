"""Bank payment files: each layout renders the canonical record faithfully, reproducibly and safely."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renshe.disbursement.bankfiles import (
    LAYOUTS,
    EnvelopeMismatch,
    InvalidPaymentLine,
    UnknownLayout,
    UnsupportedEncoding,
    export,
    get_layout,
    render,
    sha256_of,
)
from renshe.disbursement.bankfiles.record import natural_key
from renshe.i18n import current_locale, gettext
from tests.disbursement.support import (
    BUSINESS_DATE,
    fen,
    line,
    payment_file,
    read_generic_csv,
    read_icbc,
    read_xlsx,
)

LINES = [
    line(2, 200_050, account_name="欧阳娜娜", note="第二笔"),
    line(1, 1_000_000, account_name="陈大文", bank_province="", bank_city=""),
    line(10, 300_001, account_name="黄嘉琪", account_number="0012345678901234", purpose="创业带动就业补贴"),
]
FILE = payment_file(LINES)
ORDER = ["PJ20251013-01-000001", "PJ20251013-01-000002", "PJ20251013-01-000010"]


def test_the_three_tenant_layouts_are_registered() -> None:
    # tenants/*.toml name these in [payer] file_layout
    assert set(LAYOUTS) == {"generic_csv", "xlsx", "icbc"}
    with pytest.raises(UnknownLayout):
        get_layout("swift_mt101")


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_generic_csv_reads_back_to_the_same_values(encoding: str) -> None:
    content = render("generic_csv", FILE, LINES, encoding=encoding)
    assert content.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8")
    header, rows = read_generic_csv(content, "utf-8-sig" if encoding == "utf-8" else "gbk")
    assert header == [
        "业务参考号",
        "收款人账号",
        "收款人户名",
        "收款银行",
        "收款省份",
        "收款城市",
        "金额（元）",
        "用途",
        "备注",
    ]
    assert [r[0] for r in rows] == ORDER  # natural order: -2 before -10, whatever the input order
    by_ref = {r[0]: r for r in rows}
    for expected in LINES:
        r = by_ref[expected.reference]
        assert r[1:6] == [
            expected.account_number,
            expected.account_name,
            expected.bank_name,
            expected.bank_province,
            expected.bank_city,
        ]
        assert fen(r[6]) == expected.amount_fen
        assert r[7:] == [expected.purpose, expected.note]
    assert by_ref[ORDER[0]][6] == "10000.00"  # two decimals, no separator
    assert by_ref[ORDER[2]][6] == "3000.01"


def test_csv_writes_accounts_as_quoted_text_and_amounts_bare() -> None:
    text = render("generic_csv", FILE, LINES).decode("utf-8-sig")
    assert '"0012345678901234"' in text  # leading zeros kept, quoted
    assert ",3000.01," in text
    assert text.endswith("\r\n")


def test_the_generic_csv_is_utf8_by_default_and_refuses_other_encodings() -> None:
    assert render("generic_csv", FILE, LINES).startswith(b"\xef\xbb\xbf")
    assert render("generic_csv", FILE, LINES, encoding="GBK") == render("generic_csv", FILE, LINES, "gbk")
    with pytest.raises(UnsupportedEncoding):
        render("generic_csv", FILE, LINES, encoding="latin-1")
    with pytest.raises(UnsupportedEncoding):
        render("xlsx", FILE, LINES, encoding="gbk")


def test_icbc_layout_has_the_header_block_and_columns_in_gbk() -> None:
    content = render("icbc", FILE, LINES)
    content.decode("gbk")  # it is GBK ...
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # ... and not UTF-8
    header, columns, rows = read_icbc(content)
    assert header == {
        "付款账号": "4444070301010012168",
        "付款户名": "蓬江区人力资源和社会保障局",
        "付款银行": "中国建设银行江门分行",
        "总笔数": "3",
        "总金额": "15000.51",
        "批次号": "PJ20251013-01",
        "业务日期": "2025-10-13",
    }
    assert columns == [
        "收款人账号",
        "收款人名称",
        "收款银行",
        "收款省份",
        "收款城市",
        "金额",
        "用途",
        "备注",
        "自定义序号",
    ]
    assert [r[8] for r in rows] == ORDER
    by_ref = {r[8]: r for r in rows}
    for expected in LINES:
        r = by_ref[expected.reference]
        assert r[:5] == [
            expected.account_number,
            expected.account_name,
            expected.bank_name,
            expected.bank_province,
            expected.bank_city,
        ]
        assert fen(r[5]) == expected.amount_fen
        assert r[6:8] == [expected.purpose, expected.note]
    assert sum(fen(r[5]) for r in rows) == fen(header["总金额"])


def test_xlsx_keeps_accounts_as_text_cells_and_amounts_with_two_decimals() -> None:
    values, summary, formats = read_xlsx(render("xlsx", FILE, LINES))
    assert values[0][:2] == ["业务参考号", "收款人账号"]
    rows = values[1:]
    assert [r[0] for r in rows] == ORDER
    by_ref = {r[0]: r for r in rows}
    for expected in LINES:
        r = by_ref[expected.reference]
        assert r[1] == expected.account_number and isinstance(r[1], str)
        assert r[2:6] == [
            expected.account_name,
            expected.bank_name,
            expected.bank_province or None,
            expected.bank_city or None,
        ]
        assert fen(r[6]) == expected.amount_fen
    assert by_ref[ORDER[2]][1] == "0012345678901234"
    for row_formats in formats:
        assert row_formats[1] == "@"  # the account column is text
        assert row_formats[6] == "0.00"  # two decimals, no thousands separator
    assert dict((k, v) for k, v in summary) == {
        "付款账号": "4444070301010012168",
        "付款户名": "蓬江区人力资源和社会保障局",
        "付款银行": "中国建设银行江门分行",
        "批次号": "PJ20251013-01",
        "业务日期": "2025-10-13",
        "总笔数": 3,
        "总金额": 15000.51,
    }


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_regeneration_is_byte_identical_whatever_the_line_order(layout: str) -> None:
    first = render(layout, FILE, LINES)
    again = render(layout, FILE, list(reversed(LINES)))
    assert sha256_of(first) == sha256_of(again)
    assert first == again


def test_xlsx_bytes_do_not_depend_on_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    first = render("xlsx", FILE, LINES)
    # A year and a day later by the clock zipfile stamps entries with (instead of sleeping
    # past its 2-second resolution).
    later = dt.datetime(2031, 7, 1, 12, 0, tzinfo=dt.UTC).timestamp()
    monkeypatch.setattr(time, "time", lambda: later)
    again = render("xlsx", FILE, LINES)
    monkeypatch.undo()
    assert sha256_of(again) == sha256_of(first)
    with zipfile.ZipFile(io.BytesIO(again)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2025, 10, 13, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2025-10-13T00:00:00Z" in core
    assert "2031" not in core


def test_sha256_of_is_the_hex_digest() -> None:
    assert sha256_of(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_export_names_the_file_and_records_its_digest() -> None:
    bank_file = export("icbc", FILE, LINES)
    assert bank_file.file_name == "PJ20251013-01-icbc.csv"
    assert bank_file.media_type == "text/csv; charset=gbk"
    assert bank_file.sha256 == sha256_of(bank_file.content) == sha256_of(render("icbc", FILE, LINES))
    xlsx_file = export("xlsx", FILE, LINES)
    assert xlsx_file.file_name.endswith(".xlsx") and "charset" not in xlsx_file.media_type


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_missing_line_breaks_the_envelope(layout: str) -> None:
    with pytest.raises(EnvelopeMismatch) as caught:
        render(layout, FILE, LINES[:2])
    assert caught.value.mismatched == ("line_count", "total_fen")
    assert caught.value.params["declared_count"] == 3 and caught.value.params["actual_count"] == 2


def test_an_amount_changed_after_building_breaks_the_envelope() -> None:
    tampered = [*LINES[:2], line(10, 300_002)]
    with pytest.raises(EnvelopeMismatch) as caught:
        render("generic_csv", FILE, tampered)
    assert caught.value.mismatched == ("total_fen",)
    assert caught.value.params["declared_total"] == "15000.51"
    assert caught.value.params["actual_total"] == "15000.52"


def test_a_doubled_line_is_refused_even_when_the_declared_values_fit() -> None:
    doubled = [LINES[0], LINES[0]]
    with pytest.raises(InvalidPaymentLine) as caught:
        render("generic_csv", payment_file(doubled), doubled)
    assert caught.value.field == "reference"


def test_the_envelope_refusal_reads_in_chinese() -> None:
    with pytest.raises(EnvelopeMismatch) as caught:
        render("icbc", FILE, LINES[:2])
    token = current_locale.set("zh_CN")
    try:
        message = gettext(caught.value.message) % caught.value.params
    finally:
        current_locale.reset(token)
    assert "PJ20251013-01" in message and "15000.51" in message and "批次" in message


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"account_number": "6222 0202 0011"}, "account_number"),
        ({"account_number": "62220202001122O1"}, "account_number"),
        ({"account_name": "  "}, "account_name"),
        ({"bank_name": ""}, "bank_name"),
        ({"reference": "PJ/1"}, "reference"),
    ],
)
def test_invalid_lines_are_refused_naming_the_field(overrides: dict[str, str], field: str) -> None:
    bad = [line(1, 1_000_000, **overrides)]
    with pytest.raises(InvalidPaymentLine) as caught:
        render("generic_csv", payment_file(bad), bad)
    assert caught.value.field == field


@pytest.mark.parametrize("amount", [0, -100])
def test_non_positive_amounts_are_refused(amount: int) -> None:
    bad = [line(1, amount)]
    with pytest.raises(InvalidPaymentLine) as caught:
        render("xlsx", payment_file(bad), bad)
    assert caught.value.field == "amount_fen"


def test_an_empty_batch_gives_no_file() -> None:
    with pytest.raises(InvalidPaymentLine) as caught:
        render("generic_csv", payment_file([]), [])
    assert caught.value.field == "line_count"


def test_a_name_gbk_cannot_write_is_refused_not_mangled() -> None:
    rare = [line(1, account_name="王𠮷")]  # U+20BB7 is outside GBK
    with pytest.raises(InvalidPaymentLine) as caught:
        render("icbc", payment_file(rare), rare)
    assert caught.value.reference == "PJ20251013-01-000001"
    assert caught.value.field == "account_name"
    assert caught.value.params["character"] == "𠮷"
    # UTF-8 and XLSX carry it fine
    assert "王𠮷" in render("generic_csv", payment_file(rare), rare).decode("utf-8-sig")
    assert read_xlsx(render("xlsx", payment_file(rare), rare))[0][1][2] == "王𠮷"


HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_formula_injection_is_neutralised_in_every_text_cell(layout: str) -> None:
    hostile = [
        line(
            i + 1,
            account_name=value,
            bank_name=value,
            bank_province=value,
            bank_city=value,
            purpose=value,
            note=value,
        )
        for i, value in enumerate(HOSTILE)
    ]
    pf = payment_file(hostile, payer_account_name="=cmd|' /C calc'!A0", payer_bank="@evil")
    content = render(layout, pf, hostile)
    if layout == "xlsx":
        values, summary, _ = read_xlsx(content)
        cells = [v for r in values[1:] for v in r if isinstance(v, str)] + [
            v for _, v in summary if isinstance(v, str)
        ]
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert not any("<f>" in sheet for sheet in sheets)  # no formula cell at all
    elif layout == "icbc":
        header, _, rows = read_icbc(content)
        cells = [v for r in rows for v in r] + list(header.values())
    else:
        _, rows = read_generic_csv(content, "utf-8-sig")
        cells = [v for r in rows for v in r]
    for value in cells:
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert '\'=HYPERLINK("http://x")' in cells
    assert "' cmd" in cells  # the tab neutralised, then flattened: one record is one line
    # the payer's name is written by the layouts with a header block
    assert any(v.startswith("'=cmd") for v in cells) == (layout != "generic_csv")


def test_line_breaks_inside_a_value_do_not_split_the_record() -> None:
    tricky = [line(1, note="第一行\n第二行")]
    _, rows = read_generic_csv(render("generic_csv", payment_file(tricky), tricky), "utf-8-sig")
    assert len(rows) == 1 and rows[0][8] == "第一行 第二行"


amounts = st.lists(st.integers(min_value=1, max_value=10**10), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(amounts=amounts, layout=st.sampled_from(sorted(LAYOUTS)))
def test_the_rendered_amounts_add_up_to_the_declared_total(amounts: list[int], layout: str) -> None:
    lines = [line(i + 1, a) for i, a in enumerate(amounts)]
    pf = payment_file(lines)
    content = render(layout, pf, lines)
    if layout == "xlsx":
        values, summary, _ = read_xlsx(content)
        parsed = [fen(r[6]) for r in values[1:]]
        assert fen(dict((k, v) for k, v in summary)["总金额"]) == pf.total_fen
    elif layout == "icbc":
        header, _, rows = read_icbc(content)
        parsed = [fen(r[5]) for r in rows]
        assert fen(header["总金额"]) == pf.total_fen
    else:
        _, rows = read_generic_csv(content, "utf-8-sig")
        parsed = [fen(r[6]) for r in rows]
    assert sum(parsed) == pf.total_fen == sum(amounts)
    assert sorted(parsed) == sorted(amounts)


def test_business_date_is_the_only_date_in_the_files() -> None:
    assert BUSINESS_DATE.isoformat() in render("icbc", FILE, LINES).decode("gbk")


def _natural_key_by_definition(reference: str) -> tuple[tuple[int, int | str], ...]:
    """Split into runs of digits and of everything else; digits compare as numbers."""
    runs = [m.group() for m in re.finditer(r"\d+|\D+", reference)]
    return tuple((1, int(r)) if r[0].isdigit() and r.isdecimal() else (0, r) for r in runs)


@given(st.lists(st.text(alphabet="AB9-_0１٣x", max_size=12), max_size=30))
def test_lines_are_written_in_natural_reference_order(references: list[str]) -> None:
    assert sorted(references, key=natural_key) == sorted(references, key=_natural_key_by_definition)
