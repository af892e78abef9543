"""Masking (脱敏): the spec's examples and properties — the hidden characters never show."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renshe.registry.identifiers import DocumentType
from renshe.registry.masking import (
    COMPOUND_SURNAMES,
    document_visible_ends,
    mask_bank_account,
    mask_document,
    mask_in_text,
    mask_mobile,
    mask_name,
    mask_resident_id,
)

P = DocumentType


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张小三", "张*三"),
        ("陈美玲", "陈*玲"),
        ("欧阳小明", "欧阳*明"),  # a compound surname stays whole
        ("司徒明", "司徒*"),
        ("诸葛孔明", "诸葛*明"),
        ("司徒", "司*"),  # only a surname: not shown whole
        ("欧小明", "欧*明"),  # 欧 alone is a single surname
        ("买买提·艾力", "买**·*力"),
        ("张", "*"),
        ("CHAN Tai Man", "C*** T** M**"),
        ("Jean-Luc  Picard", "J***-L** P*****"),
        ("", ""),
    ],
)
def test_name_masking(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("kind", "number", "masked"),
    [
        (P.PRC_ID, "440703199003070013", "440703**********13"),
        (P.HKMO_RESIDENCE_PERMIT, "810000198001010014", "810000**********14"),
        (P.TW_RESIDENCE_PERMIT, "830000199006150030", "830000**********30"),
        (P.HKID, "A1234563", "A*****63"),
        (P.HKID, "CA1823611", "CA*****11"),
        (P.HOME_RETURN_PERMIT, "H12345678", "H******78"),
        (P.HOME_RETURN_PERMIT, "M1234567801", "M********01"),
        (P.MACAU_ID, "12345678", "1*****78"),
        (P.PASSPORT, "E12345678", "E******78"),
    ],
)
def test_document_masking(kind: DocumentType, number: str, masked: str) -> None:
    assert mask_document(kind, number) == masked


def test_spec_examples() -> None:
    assert mask_resident_id("440703199003070013") == "440703**********13"
    assert mask_bank_account("6222021234567890128") == "6222 **** **** 0128"
    assert mask_mobile("13800138000") == "138****8000"


def test_values_too_short_to_mask_are_hidden_completely() -> None:
    assert mask_mobile("1380") == "****"
    assert mask_document(P.PASSPORT, "E12") == "***"
    assert mask_bank_account("12345") == "**** **** **** ****"


# -- properties ----------------------------------------------------------------------------------


@given(
    st.sampled_from(list(DocumentType)), st.text("ABCDEFGHJKLMNPQRTUWXY0123456789", min_size=5, max_size=20)
)
def test_document_masks_hide_every_middle_character(kind: DocumentType, number: str) -> None:
    masked = mask_document(kind, number)
    head, tail = document_visible_ends(kind, number)
    assert len(masked) == len(number)
    if len(number) <= head + tail:  # nothing would stay hidden: hide everything
        assert set(masked) == {"*"}
        return
    assert masked[:head] == number[:head]
    assert masked[len(masked) - tail :] == number[len(number) - tail :]
    assert set(masked[head : len(masked) - tail]) == {"*"}
    assert sum(ch != "*" for ch in masked) <= head + tail


@given(st.text("0123456789", min_size=12, max_size=30))
def test_bank_account_mask_shows_four_and_four_whatever_the_length(digits: str) -> None:
    masked = mask_bank_account(digits)
    assert re.fullmatch(r"\d{4} \*{4} \*{4} \d{4}", masked)
    assert masked.startswith(digits[:4])
    assert masked.endswith(digits[-4:])


@given(st.text("0123456789", min_size=11, max_size=11))
def test_mobile_mask_hides_the_middle_four(number: str) -> None:
    masked = mask_mobile(number)
    assert masked == number[:3] + "****" + number[7:]


cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


@given(st.text(cjk, min_size=2, max_size=8))
def test_chinese_names_show_only_the_surname_and_the_last_character(name: str) -> None:
    masked = mask_name(name)
    surname = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    assert len(masked) == len(name)
    assert masked[:surname] == name[:surname]
    assert set(masked[surname:-1]) <= {"*"}
    assert masked[-1] == (name[-1] if len(name) - surname >= 2 else "*")
    assert "*" in masked


@given(
    st.lists(
        st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=10),
        min_size=1,
        max_size=4,
    )
)
def test_latin_names_show_only_initials(words: list[str]) -> None:
    masked = mask_name(" ".join(words))
    assert masked.split(" ") == [w[0] + "*" * (len(w) - 1) for w in words]


@pytest.mark.parametrize(
    ("reason", "masked"),
    [
        ("户名不符：陈美玲", "户名不符：陈*玲"),
        ("账号 6222 0212 3456 7890 128 不存在", "账号 6222 **** **** 0128 不存在"),
        ("A/C6222021234567890128 closed", "A/C6222 **** **** 0128 closed"),
        ("证件440703199003070013有误", "证件440703**********13有误"),
        ("证件 440703 19900307 001x", "证件 440703**********1X"),
        ("联系电话 138-0013-8000", "联系电话 138****8000"),
        ("联系电话１３８００１３８０００", "联系电话138****8000"),
        ("账户已销户", "账户已销户"),
        ("2026-12-05 退票 金额10000.00", "2026-12-05 退票 金额10000.00"),
    ],
)
def test_free_text_from_a_bank_is_masked(reason: str, masked: str) -> None:
    assert mask_in_text(reason, ["陈美玲"]) == masked


_NOT_DIGITS = st.text(st.characters(blacklist_categories=("Nd",)), max_size=5)


@given(st.text(alphabet="0123456789", min_size=11, max_size=30), _NOT_DIGITS, _NOT_DIGITS)
def test_no_run_of_eleven_digits_survives_in_free_text(digits: str, before: str, after: str) -> None:
    shown = mask_in_text(before + digits + after)
    assert len(re.findall(r"\d", shown)) <= 8  # at most 4 + 4 (account), 6 + 2 (ID), 3 + 4 (mobile)
