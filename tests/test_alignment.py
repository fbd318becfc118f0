"""Alignment readers, alphabets, focus mode and filters on hand-written edge cases."""

import gzip

import numpy as np
import pytest

from isingbio.alignment import Alignment, read_alignment
from isingbio.alphabets import (
    DNA,
    PROTEIN,
    PROTEIN_GAP_LAST,
    RNA,
    Alphabet,
    get_alphabet,
    reorder_states,
    state_permutation,
)
from isingbio.errors import FormatError, InputError


def write(tmp_path, name, text, newline="\n"):
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode())
    return path


def rows(aln):
    return aln.sequences()


# ------------------------------------------------------------------------------- alphabets
def test_protein_alphabet_order():
    assert PROTEIN.letters == "-ACDEFGHIKLMNPQRSTVWY"
    assert PROTEIN.gap_index == 0 and PROTEIN.q == 21
    assert PROTEIN_GAP_LAST.letters == "ARNDCQEGHILKMFPSTWYV-"
    assert PROTEIN_GAP_LAST.gap_index == 20
    assert get_alphabet("ccmpred") is PROTEIN_GAP_LAST
    assert get_alphabet("protein") is PROTEIN


def test_encode_decode_round_trip():
    codes = PROTEIN.encode("ACDEFGHIKLMNPQRSTVWY-")
    assert codes.dtype == np.int8
    assert list(codes) == list(range(1, 21)) + [0]
    assert PROTEIN.decode(codes) == "ACDEFGHIKLMNPQRSTVWY-"
    assert list(PROTEIN.encode("acX.")) == [1, 2, 0, 0]  # lower case, non-standard, '.'
    with pytest.raises(InputError, match="'\\*'"):
        PROTEIN.encode("AC*")


def test_nucleic_alphabets():
    assert list(RNA.encode("ACGUT")) == [1, 2, 3, 4, 4]
    assert list(DNA.encode("ACGTU-N")) == [1, 2, 3, 4, 4, 0, 0]


def test_user_alphabet():
    ab = Alphabet("-XY", name="xy")
    assert ab.q == 3 and ab.gap_index == 0
    aln = Alignment.from_sequences(["XY-", "YYX"], alphabet=ab)
    assert aln.matrix.tolist() == [[1, 2, 0], [2, 2, 1]]
    with pytest.raises(InputError):
        Alphabet("AA")


def test_reorder_codes_round_trip(rng):
    codes = rng.integers(0, 21, size=(7, 13)).astype(np.int8)
    other = reorder_states(codes, PROTEIN, PROTEIN_GAP_LAST)
    assert other.dtype == np.int8
    # same letters
    assert PROTEIN.decode(codes[0]) == PROTEIN_GAP_LAST.decode(other[0])
    assert (other[codes == 0] == 20).all()
    back = reorder_states(other, PROTEIN_GAP_LAST, PROTEIN)
    np.testing.assert_array_equal(back, codes)


def test_reorder_parameters_round_trip(rng):
    L, q = 4, 21
    h = rng.normal(size=(L, q))
    J = rng.normal(size=(L, L, q, q))
    h2 = reorder_states(h, "protein", "ccmpred")
    J2 = reorder_states(J, "protein", "ccmpred")
    perm = state_permutation(PROTEIN, PROTEIN_GAP_LAST)
    a, b = PROTEIN.letters.index("W"), PROTEIN_GAP_LAST.letters.index("W")
    g = PROTEIN_GAP_LAST.gap_index
    assert h2[1, b] == h[1, a]
    assert J2[0, 2, b, g] == J[0, 2, a, 0]
    assert (PROTEIN.letters[perm[k]] == PROTEIN_GAP_LAST.letters[k] for k in range(q))
    np.testing.assert_array_equal(reorder_states(h2, "ccmpred", "protein"), h)
    np.testing.assert_array_equal(reorder_states(J2, "ccmpred", "protein"), J)
    with pytest.raises(InputError):
        reorder_states(h, PROTEIN, RNA)


# ------------------------------------------------------------------------------- FASTA
def test_fasta_multiline_blank_lines_crlf(tmp_path):
    text = ">s1 first sequence\nACDE\nFG-H\n\n>s2\n\nAC-E\r\nFGHH\n\n\n>s3/5-12\nacde\nfgkh\n"
    path = write(tmp_path, "x.fasta", text, newline="\r\n")
    aln = read_alignment(path)
    assert aln.format == "fasta"
    assert aln.ids == ["s1", "s2", "s3/5-12"]
    assert rows(aln) == ["ACDEFG-H", "AC-EFGHH", "ACDEFGKH"]
    assert aln.matrix.dtype == np.int8 and aln.matrix.flags.c_contiguous
    assert aln.L == 8 and len(aln) == 3 and aln.q == 21
    np.testing.assert_array_equal(aln.positions, np.arange(1, 9))
    assert aln.target_sequence == "ACDEFG-H"
    assert "3 read, 3 kept" in aln.summary()


def test_gzip_transparent(tmp_path):
    path = tmp_path / "x.fa.gz"
    path.write_bytes(gzip.compress(b">a\nAC-D\n>b\nACCD\n"))
    aln = read_alignment(path)
    assert rows(aln) == ["AC-D", "ACCD"]
    # gzip detected from the bytes, not the name
    other = tmp_path / "plain_name.fasta"
    other.write_bytes(gzip.compress(b">a\nAC-D\n>b\nACCD\n"))
    assert rows(read_alignment(other)) == ["AC-D", "ACCD"]


def test_nonstandard_letters_counted(tmp_path):
    path = write(tmp_path, "x.fasta", ">a\nAXBZ\n>b\nJUOA\n")
    aln = read_alignment(path)
    assert rows(aln) == ["A---", "---A"]
    assert aln.n_nonstandard == 6
    assert aln.nonstandard_counts == {"B": 1, "J": 1, "O": 1, "U": 1, "X": 1, "Z": 1}
    assert "non-standard" in aln.summary()
    with pytest.raises(FormatError, match="non-standard letter 'X'"):
        read_alignment(path, nonstandard="error")


def test_unknown_character_names_file_line_column(tmp_path):
    path = write(tmp_path, "bad.fasta", ">a\nACDE\nFGHI\n>b\nACDE\nFG*I\n")
    with pytest.raises(FormatError) as err:
        read_alignment(path)
    e = err.value
    assert e.line == 6 and e.column == 3 and str(path) == str(e.path)
    assert "'*'" in str(e) and "line 6" in str(e) and "column 3" in str(e) and "'b'" in str(e)


def test_terminal_stop_marker_is_dropped(tmp_path):
    path = write(tmp_path, "stop.fasta", ">a\nACDE\nFGHI*\n>b\nACDEFGHI\n")
    assert read_alignment(path).L == 8


def test_target_sequence_keeps_nonstandard_letters(tmp_path):
    path = write(tmp_path, "x.fasta", ">t/5-12\nACXDEFGH\n>b\nACDDEFGH\n")
    aln = read_alignment(path, focus="t/5-12")
    assert aln.target_sequence == "ACXDEFGH"  # what a structure is aligned to
    assert aln.alphabet.decode(aln.matrix[0]) == "AC-DEFGH"
    assert aln.subset(columns=[0, 2, 4]).target_sequence == "AXE"


def test_unknown_character_after_indentation(tmp_path):
    path = write(tmp_path, "bad.aln", "ACDE\n  AC1E\n")
    with pytest.raises(FormatError) as err:
        read_alignment(path)
    assert (err.value.line, err.value.column) == (2, 5)


def test_ragged_lengths_error(tmp_path):
    path = write(tmp_path, "r.fasta", ">a\nACDE\n>b\nACDE\n>c\nACD\n")
    with pytest.raises(FormatError) as err:
        read_alignment(path)
    assert "'c'" in str(err.value) and err.value.line == 5 and "length 3" in str(err.value)


@pytest.mark.parametrize("content", ["", "\n\n  \n", "\r\n"])
def test_empty_file(tmp_path, content):
    path = write(tmp_path, "e.fasta", content)
    with pytest.raises(FormatError, match="no sequences"):
        read_alignment(path)


def test_header_only_file(tmp_path):
    with pytest.raises(FormatError):
        read_alignment(write(tmp_path, "h.fasta", ">a\n>b\n"))


def test_one_sequence_is_allowed(tmp_path):
    aln = read_alignment(write(tmp_path, "one.fasta", ">a\nACDE\n"))
    assert aln.matrix.shape == (1, 4)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_alignment(tmp_path / "nope.fasta")


def test_sequence_before_header(tmp_path):
    with pytest.raises(FormatError) as err:
        read_alignment(write(tmp_path, "x.fasta", "ACDE\n>a\nACDE\n"), format="fasta")
    assert err.value.line == 1


# ------------------------------------------------------------------------------- A3M / A2M
def test_a3m_match_columns(tmp_path):
    text = "#A3M#\n>q\nAC-DEF\n>h1\nACkkD-EF\n>h2\n-CDEFGh\n>h3\nmmACDdE-F\n"
    aln = read_alignment(write(tmp_path, "x.a3m", text))
    assert rows(aln) == ["AC-DEF", "ACD-EF", "-CDEFG", "ACDE-F"]
    # detected from content without the extension (ragged lengths + lower case -> a3m)
    aln2 = read_alignment(write(tmp_path, "x.txt", text))
    assert aln2.format == "a3m" and rows(aln2) == rows(aln)


def test_a3m_ragged_match_columns_error(tmp_path):
    text = ">q\nAC-DEF\n>h1\nACkkDEF\n"
    with pytest.raises(FormatError) as err:
        read_alignment(write(tmp_path, "x.a3m", text))
    assert "'h1'" in str(err.value) and err.value.line == 3


def test_a3m_focus_positions(tmp_path):
    # target has an insert (lower case): it is a residue, so numbering skips past it
    text = ">q/10-16\nAC-DgEF\n>h1\nACkkD-EF\n>h2\nA-DEF-\n"
    aln = read_alignment(write(tmp_path, "x.a3m", text), focus="q")
    # match columns of q: A C - D E F -> keep A C D E F; residues A10 C11 D12 g13 E14 F15
    assert rows(aln) == ["ACDEF", "AC-EF", "A-EF-"]
    np.testing.assert_array_equal(aln.positions, [10, 11, 12, 14, 15])
    assert aln.target_sequence == "ACDEF" and aln.focus_id == "q/10-16"


A2M = """>target/2-8
ac.DEF-GHk
>s1
..vDEFAGH.
>s2
kk.EEF-GHm
"""


def test_a2m_focus_plmc_rule(tmp_path):
    path = write(tmp_path, "x.a2m", A2M)
    aln = read_alignment(path, focus="target")
    # keep columns where the target is upper case: D E F G H (the '-' column is dropped)
    assert rows(aln) == ["DEFGH", "DEFGH", "EEFGH"]
    # residues: a2 c3 D4 E5 F6 G7 H8 k9
    np.testing.assert_array_equal(aln.positions, [4, 5, 6, 7, 8])
    assert any("focus" in k for k in aln.dropped)
    # focus=True means the first sequence; lookup without the /start-end suffix works too
    np.testing.assert_array_equal(read_alignment(path, focus=True).positions, aln.positions)
    np.testing.assert_array_equal(read_alignment(path, focus="target").matrix, aln.matrix)


def test_a2m_without_focus_drops_inserts(tmp_path):
    aln = read_alignment(write(tmp_path, "x.a2m", A2M))
    assert rows(aln) == ["DEF-GH", "DEFAGH", "EEF-GH"]
    np.testing.assert_array_equal(aln.positions, np.arange(1, 7))


def test_focus_lowercase_letters_in_other_rows_are_residues(tmp_path):
    text = ">t\nAcDE\n>u\nAcdE\n"
    aln = read_alignment(write(tmp_path, "x.a2m", text), focus="t")
    assert rows(aln) == ["ADE", "ADE"]


def test_focus_unknown_id(tmp_path):
    with pytest.raises(InputError, match="'zz'"):
        read_alignment(write(tmp_path, "x.a2m", A2M), focus="zz")


# ------------------------------------------------------------------------------- Stockholm
STO = """# STOCKHOLM 1.0
#=GF ID   test
#=GS seq1/1-8 AC P00001

seq1/1-8      AC-D.EFG
seq2          ACCD.E-G
seq3          -CCDkEFG
#=GR seq1/1-8 SS ........
#=GC RF       xxxx.xxx

seq1/1-8      HIK
seq2          HIR
seq3          H-K
#=GC RF       xxx
//
"""


def test_stockholm_multiblock_rf(tmp_path):
    aln = read_alignment(write(tmp_path, "x.sto", STO))
    assert aln.format == "stockholm"
    assert aln.ids == ["seq1/1-8", "seq2", "seq3"]
    assert rows(aln) == ["AC-DEFGHIK", "ACCDE-GHIR", "-CCDEFGH-K"]
    assert aln.n_columns_read == 10
    # focus: seq1 residues numbered from 1, the gap column dropped
    f = read_alignment(write(tmp_path, "y.sto", STO), focus="seq1")
    np.testing.assert_array_equal(f.positions, [1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert f.target_sequence == "ACDEFGHIK"


def test_stockholm_detected_from_content_without_rf(tmp_path):
    text = "# STOCKHOLM 1.0\na AC.DE\nb ACkDE\nc A-.DE\n//\n"
    aln = read_alignment(write(tmp_path, "x.txt", text))
    assert aln.format == "stockholm"
    assert rows(aln) == ["ACDE", "ACDE", "A-DE"]


def test_stockholm_without_terminator_is_refused(tmp_path):
    # an interleaved file cut after its first block used to read as a shorter alignment
    cut = STO[: STO.index("\nseq1/1-8      HIK")] + "\n"
    with pytest.raises(FormatError, match=r"x\.sto, line 9: .*no '//' terminator"):
        read_alignment(write(tmp_path, "x.sto", cut))


def test_stockholm_block_missing_a_sequence_is_refused(tmp_path):
    text = STO.replace("seq2          HIR\n", "")
    with pytest.raises(FormatError, match=r"line 6: sequence 'seq2' has 1 line\(s\) where the other sequences have 2"):
        read_alignment(write(tmp_path, "x.sto", text))
    doubled = STO.replace("seq3          H-K\n", "seq3          H-K\nseq3          H-K\n")
    with pytest.raises(FormatError, match="sequence 'seq3' has 3 line"):
        read_alignment(write(tmp_path, "y.sto", doubled))


def test_header_only_fasta_says_so(tmp_path):
    with pytest.raises(FormatError, match=r"x\.fasta, line 1: the 2 record\(s\) hold no sequence characters"):
        read_alignment(write(tmp_path, "x.fasta", ">a\n>b\n"))


@pytest.mark.parametrize("kind", ["gz", "bz2", "xz"])
def test_compressed_alignments_and_their_damage(tmp_path, kind):
    import bz2
    import gzip
    import lzma

    text = "".join(f">s{k}\nACDEFGHIKLMNPQ\n" for k in range(400)).encode()
    pack = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[kind]
    good = tmp_path / f"a.fasta.{kind}"
    good.write_bytes(pack(text))
    assert read_alignment(good).N == 400
    damaged = bytearray(pack(text))
    damaged[len(damaged) // 2] ^= 0x55
    bad = tmp_path / f"b.fasta.{kind}"
    bad.write_bytes(bytes(damaged))
    with pytest.raises(FormatError, match=r"b\.fasta\.\w+: damaged \w+ data near byte \d+"):
        read_alignment(bad)
    bad.write_bytes(pack(text)[:-20])
    with pytest.raises(FormatError, match="truncated"):
        read_alignment(bad)


# ------------------------------------------------------------------------------- .aln
def test_aln_plain(tmp_path):
    aln = read_alignment(write(tmp_path, "x.aln", "ACDE\nAC-E\n\n-CDE\n", newline="\r\n"))
    assert aln.format == "aln"
    assert aln.ids == ["1", "2", "3"]
    assert rows(aln) == ["ACDE", "AC-E", "-CDE"]
    # focus by row index
    f = read_alignment(write(tmp_path, "y.aln", "-CDE\nACDE\n"), focus=0)
    assert rows(f) == ["CDE", "CDE"]
    np.testing.assert_array_equal(f.positions, [1, 2, 3])


def test_aln_with_header_is_an_error(tmp_path):
    with pytest.raises(FormatError, match="format='fasta'"):
        read_alignment(write(tmp_path, "x.aln", "ACDE\n>b\nACDE\n"), format="aln")


# ------------------------------------------------------------------------------- filters
def test_gap_filters(tmp_path):
    text = ">a\nAC-DE\n>b\nA--DE\n>c\n---D-\n>d\nAC-DE\n"
    path = write(tmp_path, "x.fasta", text)
    aln = read_alignment(path, max_gap_fraction_col=0.5)
    # column 3 is all gaps, column 2 has 2/4 gaps (kept at <= 0.5)
    assert rows(aln) == ["ACDE", "A-DE", "--D-", "ACDE"]
    np.testing.assert_array_equal(aln.positions, [1, 2, 4, 5])
    aln = read_alignment(path, max_gap_fraction_col=0.5, max_gap_fraction_seq=0.3)
    assert aln.ids == ["a", "b", "d"]
    assert aln.n_read == 4 and len(aln) == 3
    s = aln.summary()
    assert "4 read, 3 kept" in s and "gap fraction > 0.3" in s and "gap fraction > 0.5" in s
    with pytest.raises(InputError):
        read_alignment(path, max_gap_fraction_seq=1.5)


def test_focus_sequence_never_dropped(tmp_path):
    # X is a residue of the target (its column is kept) but reads as a gap
    path = write(tmp_path, "x.fasta", ">t/3-6\nX--D\n>u\nACCD\n>v\nA-CD\n>w\n--CD\n")
    aln = read_alignment(path, focus="t", max_gap_fraction_seq=0.0)
    assert aln.ids == ["t/3-6", "u", "v"]
    assert aln.dropped == {"columns: gap in the focus sequence": 2, "sequences: gap fraction > 0": 1}
    np.testing.assert_array_equal(aln.positions, [3, 4])


def test_from_sequences():
    aln = Alignment.from_sequences(["AC-D", "ACCD"], ids=["x", "y"])
    assert aln.matrix.tolist() == [[1, 2, 0, 3], [1, 2, 2, 3]]
    assert aln.ids == ["x", "y"] and aln.q == 21 and aln.L == 4 and len(aln) == 2
    np.testing.assert_array_equal(aln.positions, [1, 2, 3, 4])
    g = Alignment.from_sequences(["AC-D", "ACCD"], alphabet="ccmpred")
    assert g.matrix[0, 2] == 20
    f = Alignment.from_sequences(["-AC-D", "AACCD"], ids=["t/7-9", "u"], focus="t")
    np.testing.assert_array_equal(f.positions, [7, 8, 9])
    with pytest.raises(FormatError):
        Alignment.from_sequences(["ACD", "AC"])


# ------------------------------------------------------------------------------- real data
@pytest.mark.parametrize(
    "fam,fname,kw,L,N",
    [
        ("PF00014", "PF00014_mgap6.fasta.gz", {}, 53, 13600),
        ("1atzA", "1atzA.aln", {"focus": 2634}, 75, 3068),
        ("DHFR", "DHFR.a2m", {"focus": "DYR_ECOLI"}, 159, 3629),
        ("1a3a", "1a3a_1_A.a3m", {"focus": True}, 145, 1024),
        ("T0900", "T0900.aln", {}, 106, 16243),
    ],
)
def test_real_alignments_match_prepared(shared_data, fam, fname, kw, L, N):
    aln = read_alignment(shared_data / fam / fname, **kw)
    assert aln.matrix.shape == (N, L)
    prepared = read_alignment(shared_data / fam / "prepared" / f"{fam}.fasta")
    assert prepared.L == L
    # the prepared file has the target first and only the target's columns
    assert aln.target_sequence.replace("-", "") == prepared.target_sequence.replace("-", "")
    if fam == "DHFR":
        np.testing.assert_array_equal(aln.positions, np.arange(1, 160))
        np.testing.assert_array_equal(np.sort(aln.matrix, axis=0), np.sort(prepared.matrix, axis=0))


def test_subset_keeps_focus(tmp_path):
    aln = Alignment.from_sequences(["-ACD", "AACD", "CCCD"], ids=["t/5-7", "u", "v"], focus="t")
    sub = aln.subset(rows=[0, 2], columns=[0, 2])
    assert sub.ids == ["t/5-7", "v"] and sub.focus_index == 0
    np.testing.assert_array_equal(sub.positions, [5, 7])
    assert sub.target_sequence == "AD"
    assert aln.subset(rows=[1, 2]).focus_index is None


# ------------------------------------------------------------------------ audit regressions
def test_non_ascii_header_does_not_split_lines(tmp_path):
    # UTF-8 'Å' is C3 85: 0x85 (NEL) and form feeds are line breaks for str.splitlines
    path = tmp_path / "h.fasta"
    path.write_bytes(">a Ångström\x0cprotein\nACDE\n>b\nAC-E\n".encode())
    aln = read_alignment(path)
    assert rows(aln) == ["ACDE", "AC-E"] and aln.ids == ["a", "b"]


def test_unknown_character_column_counts_characters_in_utf8(tmp_path):
    path = tmp_path / "u.fasta"
    path.write_bytes(">a\nACDÉF\n>b\nACDEF\n".encode())
    with pytest.raises(FormatError, match=r"line 2, column 4: unknown character 'É'"):
        read_alignment(path)


def test_cr_only_line_endings(tmp_path):
    path = write(tmp_path, "cr.fasta", ">a\nACDE\n>b\nAC-E\n", newline="\r")
    assert rows(read_alignment(path)) == ["ACDE", "AC-E"]


@pytest.mark.parametrize(
    "name, text, fmt, expected",
    [
        ("rows.fasta", "ACDE\nAC-E\n", "aln", ["ACDE", "AC-E"]),  # .aln content, FASTA name
        ("rows.a3m", "ACDE\nAC-E\n", "aln", ["ACDE", "AC-E"]),
        ("fa.sto", ">a\nACDE\n>b\nAC-E\n", "fasta", ["ACDE", "AC-E"]),  # FASTA content, Stockholm name
        ("fa.aln", ">a\nACDE\n>b\nAC-E\n", "fasta", ["ACDE", "AC-E"]),
        ("sto.fasta", "# STOCKHOLM 1.0\na AC-E\nb ACDE\n//\n", "stockholm", ["AC-E", "ACDE"]),
        ("a3m.fasta", ">a\nACDE\n>b\nAkC-Ee\n", "a3m", ["ACDE", "AC-E"]),  # ragged rows: A3M
    ],
)
def test_format_from_content_over_extension(tmp_path, name, text, fmt, expected):
    aln = read_alignment(write(tmp_path, name, text))
    assert aln.format == fmt and rows(aln) == expected


def test_a3m_content_in_a2m_file_with_focus(tmp_path):
    path = write(tmp_path, "x.a2m", ">t/3-7\nACDE\n>b\nAkC-Ee\n>c\nA..CDE\n")
    aln = read_alignment(path, focus="t")
    assert aln.format == "a3m" and rows(aln) == ["ACDE", "AC-E", "ACDE"]
    assert aln.positions.tolist() == [3, 4, 5, 6]


def test_sequence_before_header_in_fasta_named_file(tmp_path):
    with pytest.raises(FormatError, match="line 1.*before the first '>'"):
        read_alignment(write(tmp_path, "x.fasta", "ACDE\n>b\nACDE\n"))


def test_duplicate_focus_id_warns(tmp_path, caplog):
    path = write(tmp_path, "d.fasta", ">a\nAC-E\n>a\nACDE\n")
    aln = read_alignment(path, focus="a")
    assert aln.focus_index == 0 and aln.L == 3
    assert "2 sequences match focus" in caplog.text
