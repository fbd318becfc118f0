"""Contact maps from PDB / mmCIF files, numbered by an alignment's target sequence."""

import sys

import numpy as np
import pytest

from isingbio.alignment import read_alignment
from isingbio.errors import InputError
from isingbio.structure import ContactMap, align_sequences, contact_map_from_structure

gemmi = pytest.importorskip("gemmi")


THREE = {"A": "ALA", "G": "GLY", "K": "LYS", "W": "TRP", "C": "CYS", "D": "ASP"}


def pdb_text(residues, chain="A"):
    """residues: list of (one-letter, resnum, {atom: (x, y, z)})."""
    lines, serial = [], 1
    for letter, num, atoms in residues:
        for name, (x, y, z) in atoms.items():
            lines.append(
                f"ATOM  {serial:5d}  {name:<3s} {THREE[letter]:3s} {chain:1s}{num:4d}    "
                f"{x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00           {name[0]:1s}"
            )
            serial += 1
    lines.append("END")
    return "\n".join(lines) + "\n"


def toy_residues():
    # residue k: CA at (0, 0, 0), CB at (5k, 0, 0); glycine has only CA at (5k, 1, 0)
    res = []
    for k, letter in enumerate("AGKWCD"):
        atoms = {"N": (5.0 * k, 1.5, 0.0), "CA": (5.0 * k, 1.0 if letter == "G" else 0.5, 0.0)}
        if letter != "G":
            atoms["CB"] = (5.0 * k, 0.0, 0.0)
        res.append((letter, 10 + k, atoms))
    return res


def expected_distance(i, j):
    yi = 1.0 if "AGKWCD"[i] == "G" else 0.0
    yj = 1.0 if "AGKWCD"[j] == "G" else 0.0
    return float(np.hypot(5.0 * (i - j), yi - yj))


def test_toy_pdb_own_sequence(tmp_path):
    path = tmp_path / "toy.pdb"
    path.write_text(pdb_text(toy_residues()))
    cm = contact_map_from_structure(path)
    assert cm.L == 6 and cm.structure_sequence == "AGKWCD"
    np.testing.assert_array_equal(cm.residue_numbers, np.arange(10, 16))
    for i in range(6):
        for j in range(6):
            assert cm.distance[i, j] == pytest.approx(expected_distance(i, j), abs=1e-3)
    assert cm.contact[0, 1] == 1 and cm.contact[0, 2] == 0  # 5.1 A and 10 A
    assert cm.contact.dtype == np.int8
    assert "C-beta" in cm.definition


def test_mmcif_same_as_pdb(tmp_path):
    pdb = tmp_path / "toy.pdb"
    pdb.write_text(pdb_text(toy_residues()))
    st = gemmi.read_structure(str(pdb))
    st.setup_entities()
    cif = tmp_path / "toy.cif"
    st.make_mmcif_document().write_file(str(cif))
    a = contact_map_from_structure(pdb, chain="A")
    b = contact_map_from_structure(cif, chain="A")
    np.testing.assert_allclose(a.distance, b.distance)
    np.testing.assert_array_equal(a.contact, b.contact)


def test_aligned_to_target_sequence(tmp_path):
    path = tmp_path / "toy.pdb"
    path.write_text(pdb_text(toy_residues()))
    # target: two extra residues at the start, a gap column, a mutation (K->R) and a residue
    # missing from the structure (between W and C)
    target = "MM-AGRWYCD"
    cm = contact_map_from_structure(path, sequence=target, cutoff=8.0)
    assert cm.L == len(target)
    expected_map = [-1, -1, -1, 0, 1, 2, 3, -1, 4, 5]
    assert cm.aligned.tolist() == [m >= 0 for m in expected_map]
    assert cm.residue_numbers.tolist() == [10 + m if m >= 0 else -1 for m in expected_map]
    for i, mi in enumerate(expected_map):
        for j, mj in enumerate(expected_map):
            if mi < 0 or mj < 0:
                assert cm.contact[i, j] == -1 and np.isnan(cm.distance[i, j])
            else:
                assert cm.distance[i, j] == pytest.approx(expected_distance(mi, mj), abs=1e-3)
    assert cm.n_identical == 5


def test_missing_cb_is_unknown_and_atom_modes(tmp_path):
    res = toy_residues()
    del res[2][2]["CB"]  # lysine without C-beta
    path = tmp_path / "toy.pdb"
    path.write_text(pdb_text(res))
    cm = contact_map_from_structure(path)
    assert (cm.contact[2, [0, 1, 3]] == -1).all() and cm.contact[0, 1] == 1
    ca = contact_map_from_structure(path, atoms="CA")
    assert (ca.contact >= 0).all()
    heavy = contact_map_from_structure(path, atoms="heavy")
    assert (heavy.distance <= ca.distance + 1e-9).all()
    with pytest.raises(InputError):
        contact_map_from_structure(path, atoms="CG")


def test_chain_selection_and_errors(tmp_path):
    path = tmp_path / "two.pdb"
    text = pdb_text(toy_residues(), chain="A").replace("END\n", "")
    text += pdb_text(toy_residues()[:3], chain="B")
    path.write_text(text)
    assert contact_map_from_structure(path).L == 6
    assert contact_map_from_structure(path, chain="B").L == 3
    with pytest.raises(InputError, match="no chain 'C'"):
        contact_map_from_structure(path, chain="C")
    with pytest.raises(InputError, match="no such file"):
        contact_map_from_structure(tmp_path / "missing.pdb")


def test_missing_gemmi_gives_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "toy.pdb"
    path.write_text(pdb_text(toy_residues()))
    monkeypatch.setitem(sys.modules, "gemmi", None)
    with pytest.raises(ImportError, match="pip install gemmi"):
        contact_map_from_structure(path)


def test_align_sequences_without_gemmi(monkeypatch):
    monkeypatch.setitem(sys.modules, "gemmi", None)
    with pytest.raises(ImportError, match=r"isingbio\[structure\]"):
        align_sequences("ACD", "ACD")


def test_align_sequences():
    assert align_sequences("ACDEF", "ACDEF").tolist() == [0, 1, 2, 3, 4]
    assert align_sequences("CDE", "ACDEF").tolist() == [1, 2, 3]
    assert align_sequences("XXACDEFYY", "ACDEF").tolist() == [-1, -1, 0, 1, 2, 3, 4, -1, -1]
    assert align_sequences("", "ACD").tolist() == []
    # a loop missing from the structure is one contiguous gap (affine gap costs)
    target = "ACDEFGHIKLMNPQRSTVWY"
    structure = target[:8] + target[12:]
    expected = list(range(8)) + [-1] * 4 + list(range(8, 16))
    assert align_sequences(target, structure).tolist() == expected
    # a point mutation stays aligned
    assert align_sequences("ACDEFGHIKL", "ACDEWGHIKL").tolist() == list(range(10))
    # the structure has extra residues inside: the target skips them
    assert align_sequences("ACDEFGHIKL", "ACDEFPPPPPGHIKL").tolist() == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]


def test_contact_map_npz_round_trip(tmp_path):
    c = np.array([[1, 0, -1], [0, 1, 1], [-1, 1, 1]], dtype=np.int8)
    cm = ContactMap(c, sequence="ACD")
    cm.save(tmp_path / "m.npz")
    back = ContactMap.from_npz(tmp_path / "m.npz")
    np.testing.assert_array_equal(back.contact, c)
    assert back.sequence == "ACD"
    with pytest.raises(InputError):
        ContactMap(np.array([[2]]))


@pytest.mark.parametrize(
    "fam,pdb,chain",
    [
        ("1atzA", "1atz_GREMLIN_RF.pdb", "A"),
        ("1atzA", "1atzA.pdb", None),
        ("DHFR", "5dfr_minimized.pdb", None),  # Amber residue names (HID ...), hydrogens
        ("1a3a", "1a3a.pdb", "A"),
        ("T0900", "T0900-D1.pdb", None),  # 4 target residues missing from the structure
    ],
)
def test_real_structures_match_prepared_maps(shared_data, fam, pdb, chain):
    aln = read_alignment(shared_data / fam / "prepared" / f"{fam}.fasta")
    cm = contact_map_from_structure(shared_data / fam / pdb, chain=chain, sequence=aln)
    ref = np.load(shared_data / fam / "prepared" / f"{fam}.contacts.npz")
    assert cm.contact.shape == ref["contact"].shape
    agree = (cm.contact == ref["contact"]).mean()
    assert agree > 0.99, f"{fam}: {agree:.3f} of pairs agree"
    both = ~np.isnan(cm.distance) & ~np.isnan(ref["dist"])
    np.testing.assert_allclose(cm.distance[both], ref["dist"][both], atol=1e-3)
