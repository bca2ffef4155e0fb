"""Reading hash lists: every format, bad rows named by their line, nothing half-read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.errors import InvalidInput
from bastion.match.hash_lists import ListFormat, guess_format, read_hash_list

A = "f" * 64
B = "0123456789abcdef" * 4
C = "a5" * 32


def test_hex_lines_skip_blanks_and_comments() -> None:
    listed = read_hash_list(f"# banked 2026-11-30\n{A}\n\n  {B.upper()}  \n", "hex")
    assert [(h.line, h.hash.hex()) for h in listed.hashes] == [(2, A), (4, B)]
    assert listed.format is ListFormat.HEX


def test_csv_with_a_label_column() -> None:
    text = f"id,pdq,label\n1,{A},scam logo\n2,{B},\n"
    listed = read_hash_list(text)
    assert listed.format is ListFormat.CSV
    assert [(h.line, h.hash.hex(), h.label) for h in listed.hashes] == [(2, A, "scam logo"), (3, B, "")]


def test_threatexchange_dataset_csv_reads_pdq_rows_and_skips_the_rest() -> None:
    text = (
        "collab,signal_type,signal_str,category,tags\n"
        f"Sample,pdq,{A},ADVERSARIAL,scam spam\n"
        "Sample,video_md5,d41d8cd98f00b204e9800998ecf8427e,ADVERSARIAL,\n"
        f"Sample,pdq,{B},BENIGN,\n"
    )
    listed = read_hash_list(text)
    assert listed.format is ListFormat.THREATEXCHANGE
    assert [(h.line, h.label) for h in listed.hashes] == [(2, "ADVERSARIAL scam spam"), (4, "BENIGN")]
    assert listed.skipped == 1


def test_pdq_hasher_output_refuses_featureless_hashes() -> None:
    listed = read_hash_list(f"{A},100,cat.jpg\n{B},73,dog.png\n")
    assert listed.format is ListFormat.PDQ_HASHER
    assert [h.label for h in listed.hashes] == ["cat.jpg", "dog.png"]
    with pytest.raises(InvalidInput) as refused:
        read_hash_list(f"{A},100,cat.jpg\n{B},12,blank.png\n{C},x,odd.png\n", "pdq-hasher")
    assert [(e.line, e.path) for e in refused.value.errors] == [(2, "quality"), (3, "quality")]
    assert "too little" in refused.value.errors[0].message


def test_every_bad_line_is_named_and_nothing_is_returned() -> None:
    text = f"{A}\nnot a hash\n{B[:-1]}\n{C}\n{'g' * 64}\n"
    with pytest.raises(InvalidInput) as refused:
        read_hash_list(text, "hex")
    assert [e.line for e in refused.value.errors] == [2, 3, 5]
    assert "3 lines of the hex hash list cannot be read; nothing was imported" in str(refused.value)
    assert "must be 64 hexadecimal digits, got 63 characters" in str(refused.value)


def test_a_csv_without_a_hash_column_and_an_unknown_format_are_refused() -> None:
    with pytest.raises(InvalidInput) as no_column:
        read_hash_list("id,label\n1,x\n", "csv")
    assert (no_column.value.errors[0].line, no_column.value.errors[0].path) == (1, "header")
    with pytest.raises(InvalidInput) as unknown:
        read_hash_list(A, "xml")
    assert unknown.value.errors[0].path == "format"


def test_quoted_csv_rows_keep_their_line_numbers() -> None:
    text = f'pdq,label\n{A},"two\nlines"\nnope,x\n'
    with pytest.raises(InvalidInput) as refused:
        read_hash_list(text)
    assert refused.value.errors[0].line == 4


def test_guess_format_of_an_empty_list_is_hex() -> None:
    assert guess_format("\n# nothing\n") is ListFormat.HEX
    assert read_hash_list("").hashes == ()


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=20))
def test_hex_lists_read_back_what_was_written(hashes: list[bytes]) -> None:
    listed = read_hash_list("\n".join(h.hex() for h in hashes), "hex")
    assert [h.hash for h in listed.hashes] == hashes
