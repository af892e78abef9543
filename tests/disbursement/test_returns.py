"""Bank return files: read in every shape a bank sends them, bad rows named by row, matching pure."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from renshe.disbursement.bankfiles import render
from renshe.disbursement.returns import (
    ProblemKind,
    ReturnLine,
    ReturnStatus,
    UnreadableReturnFile,
    match_returns,
    parse_return,
    unanswered,
)
from renshe.i18n import current_locale, gettext
from tests.disbursement.support import line, payment_file

RETURN_CSV = (
    "业务参考号,收款人账号,金额,状态,失败原因\r\n"
    "PJ20251013-01-000001,6222020200112200001,10000.00,成功,\r\n"
    "PJ20251013-01-000002,6222020200112200002,2000.50,失败,账户已销户\r\n"
    "PJ20251013-01-000003,6222020200112200003,300.00,处理中,\r\n"
)


def xlsx_bytes(rows: list[list[object]], blank_rows_before: int = 0) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for _ in range(blank_rows_before):
        ws.append([])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def expected_lines() -> list[ReturnLine]:
    return [
        ReturnLine(2, "PJ20251013-01-000001", ReturnStatus.SUCCEEDED, "", 1_000_000),
        ReturnLine(3, "PJ20251013-01-000002", ReturnStatus.FAILED, "账户已销户", 200_050),
        ReturnLine(4, "PJ20251013-01-000003", ReturnStatus.PENDING, "", 30_000),
    ]


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        (RETURN_CSV.encode("utf-8"), "utf-8"),
        (RETURN_CSV.encode("utf-8-sig"), "utf-8"),
        (RETURN_CSV.encode("gbk"), "gb18030"),
        (RETURN_CSV.replace(",", "\t").encode("gbk"), "gb18030"),
    ],
    ids=["utf8", "utf8-bom", "gbk", "gbk-tabs"],
)
def test_csv_returns_in_utf8_and_gbk(content: bytes, encoding: str) -> None:
    parsed = parse_return(content, "回盘.csv")
    assert parsed.problems == []
    assert parsed.lines == expected_lines()
    assert parsed.encoding == encoding


def test_xlsx_returns_read_numbers_and_text_alike() -> None:
    content = xlsx_bytes(
        [
            ["处理结果汇总"],  # a bank title row above the header
            [],
            ["自定义序号", "交易金额（元）", "交易状态", "原因"],
            ["PJ20251013-01-000001", 10000, "交易成功", None],
            ["PJ20251013-01-000002", 2000.5, "交易失败", "户名不符"],
            ["PJ20251013-01-000003", "300.00", "处理中", None],
        ]
    )
    parsed = parse_return(content, "return.xlsx")
    assert parsed.problems == []
    assert parsed.encoding == "xlsx"
    assert [(x.row, x.reference, x.status, x.reason, x.amount_fen) for x in parsed.lines] == [
        (4, "PJ20251013-01-000001", ReturnStatus.SUCCEEDED, "", 1_000_000),
        (5, "PJ20251013-01-000002", ReturnStatus.FAILED, "户名不符", 200_050),
        (6, "PJ20251013-01-000003", ReturnStatus.PENDING, "", 30_000),
    ]


def test_xlsx_row_numbers_count_leading_blank_rows() -> None:
    content = xlsx_bytes([["reference", "status", "reason"], ["R-1", "failed", "closed"], [], ["", "ok"]], 2)
    parsed = parse_return(content, "return.xlsx")
    assert [(x.row, x.reference) for x in parsed.lines] == [(4, "R-1")]
    assert [(p.row, p.kind) for p in parsed.problems] == [(6, ProblemKind.MALFORMED)]


def test_bad_lines_are_reported_by_row_and_good_lines_kept() -> None:
    content = (
        "业务参考号,状态,金额,失败原因\n"
        "PJ-1,成功,100.00,\n"
        ",成功,100.00,\n"  # row 3: no reference
        "PJ-3,已冲正,100.00,\n"  # row 4: unknown status
        "PJ-4,失败,1.234,户名不符\n"  # row 5: three decimals
        "PJ-5,失败,-5.00,\n"  # row 6: negative
        "\n"  # row 7: blank, ignored
        "PJ-8,失败,,\n"  # row 8: amount column present but empty
        'PJ-9,失败,"1,200.00",账号不存在\n'  # thousands separator is tolerated
    ).encode("gbk")
    parsed = parse_return(content, "return.csv")
    assert [(x.row, x.reference, x.amount_fen) for x in parsed.lines] == [
        (2, "PJ-1", 10_000),
        (9, "PJ-9", 120_000),
    ]
    problems = {p.row: p for p in parsed.problems}
    assert sorted(problems) == [3, 4, 5, 6, 8]
    assert all(p.kind is ProblemKind.MALFORMED for p in parsed.problems)
    assert problems[4].params["status"] == "已冲正"
    assert problems[5].params["amount"] == "1.234"
    token = current_locale.set("zh_CN")
    try:
        shown = {row: gettext(p.message) % p.params for row, p in problems.items()}
    finally:
        current_locale.reset(token)
    assert shown[3] == "第 3 行：缺少业务参考号。"
    assert shown[4] == "第 4 行：无法识别的状态“已冲正”。"


def test_an_icbc_style_header_block_above_the_table_is_skipped() -> None:
    # Our own icbc file with two columns appended, as a bank echoes it back.
    lines = [line(1, 12_300), line(2, 45_600)]
    sent = render("icbc", payment_file(lines), lines).decode("gbk").splitlines()
    table_start = sent.index(next(r for r in sent if r.startswith('"收款人账号"')))
    echoed = [*sent[:table_start], sent[table_start] + ',"处理状态","失败原因"']
    echoed += [sent[table_start + 1] + ',"成功",""', sent[table_start + 2] + ',"失败","账户冻结"']
    parsed = parse_return("\r\n".join(echoed).encode("gbk"), "icbc_return.csv")
    assert parsed.problems == []
    assert [(x.reference, x.status, x.amount_fen, x.reason) for x in parsed.lines] == [
        ("PJ20251013-01-000001", ReturnStatus.SUCCEEDED, 12_300, ""),
        ("PJ20251013-01-000002", ReturnStatus.FAILED, 45_600, "账户冻结"),
    ]


def test_a_file_without_amounts_is_read_with_amount_none() -> None:
    parsed = parse_return(b"reference,status\nR-1,success\n", "r.csv")
    assert parsed.lines == [ReturnLine(2, "R-1", ReturnStatus.SUCCEEDED, "", None)]


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"name,amount\nx,1\n", "r.csv"),  # no reference/status header
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "r.xls"),  # old binary Excel
        (b"PK\x03\x04 not really a zip", "r.xlsx"),
        (b"reference,status\n", "r.xlsx"),  # says xlsx, is not
        (b"\xff\xfe\x00\xd8\x00\xdc" * 3, "r.csv"),  # neither UTF-8 nor GBK
    ],
    ids=["no-header", "xls", "broken-zip", "fake-xlsx", "undecodable"],
)
def test_unreadable_files_are_refused_as_a_whole(content: bytes, filename: str) -> None:
    with pytest.raises(UnreadableReturnFile):
        parse_return(content, filename)


# -- matching -----------------------------------------------------------------------------------

BATCH = [line(1, 10_000), line(2, 20_000), line(3, 30_000), line(4, 40_000)]


def ret(
    row: int, seq: int, status: ReturnStatus = ReturnStatus.SUCCEEDED, amount: int | None = None
) -> ReturnLine:
    return ReturnLine(row, f"PJ20251013-01-{seq:06d}", status, "", amount)


def test_match_returns_classifies_every_return_line() -> None:
    returned = [
        ret(2, 1, amount=10_000),  # good
        ret(3, 2, ReturnStatus.FAILED, amount=None),  # good, no amount to check
        ret(4, 3, amount=30_001),  # amount mismatch
        ret(5, 99),  # not in the batch
        ret(6, 4, ReturnStatus.SUCCEEDED),  # duplicate ...
        ret(7, 4, ReturnStatus.FAILED),  # ... of the same reference: neither applied
    ]
    matched, problems = match_returns(BATCH, returned)
    assert [(m.expected.reference, m.returned.row) for m in matched] == [
        ("PJ20251013-01-000001", 2),
        ("PJ20251013-01-000002", 3),
    ]
    assert matched[0].expected is BATCH[0]
    assert [(p.row, p.kind, p.reference) for p in problems] == [
        (4, ProblemKind.AMOUNT_MISMATCH, "PJ20251013-01-000003"),
        (5, ProblemKind.UNMATCHED, "PJ20251013-01-000099"),
        (6, ProblemKind.DUPLICATE, "PJ20251013-01-000004"),
        (7, ProblemKind.DUPLICATE, "PJ20251013-01-000004"),
    ]
    assert problems[0].params["returned"] == "300.01" and problems[0].params["expected"] == "300.00"
    assert problems[2].params["count"] == 2
    # lines 3 and 4 remain unresolved: the batch is not reconciled yet
    assert [x.reference for x in unanswered(BATCH, matched)] == [
        "PJ20251013-01-000003",
        "PJ20251013-01-000004",
    ]


def test_match_messages_read_in_chinese() -> None:
    _, problems = match_returns(BATCH, [ret(4, 3, amount=30_001), ret(5, 99)])
    token = current_locale.set("zh_CN")
    try:
        shown = [gettext(p.message) % p.params for p in problems]
    finally:
        current_locale.reset(token)
    assert shown == [
        "第 4 行：银行回盘显示业务参考号 PJ20251013-01-000003 的金额为 300.01 元，但本批次应付 300.00 元。",
        "第 5 行：业务参考号 PJ20251013-01-000099 不属于本批次。",
    ]


def test_a_clean_return_resolves_every_line() -> None:
    returned = [ret(i + 2, i + 1, amount=(i + 1) * 10_000) for i in range(4)]
    matched, problems = match_returns(BATCH, returned)
    assert problems == [] and len(matched) == 4
    assert unanswered(BATCH, matched) == []


def test_a_batch_with_a_doubled_reference_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="two lines"):
        match_returns([BATCH[0], BATCH[0]], [])


def test_parsed_then_matched_end_to_end() -> None:
    parsed = parse_return(RETURN_CSV.encode("gbk"), "r.csv")
    batch = [line(1, 1_000_000), line(2, 200_050), line(3, 30_000)]
    matched, problems = match_returns(batch, parsed.lines)
    assert problems == []
    assert {m.expected.reference: m.returned.status for m in matched} == {
        "PJ20251013-01-000001": ReturnStatus.SUCCEEDED,
        "PJ20251013-01-000002": ReturnStatus.FAILED,
        "PJ20251013-01-000003": ReturnStatus.PENDING,
    }
