import itertools

import numpy as np
import pytest
import scipy.sparse as sp

import isingbio
from isingbio import InputError, IsingModel, PottsModel


def brute_lattice_energy(spins, J, h, periodic=True):
    """Direct sum over the bonds of a 2D lattice, one bond to the successor on each axis."""
    m, n = spins.shape
    e = 0.0
    for i in range(m):
        for j in range(n):
            if periodic or i + 1 < m:
                e -= J[0] * spins[i, j] * spins[(i + 1) % m, j]
            if periodic or j + 1 < n:
                e -= J[1] * spins[i, j] * spins[i, (j + 1) % n]
    return e - h * spins.sum()


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 5), (2, 2)])
@pytest.mark.parametrize("periodic", [True, False])
def test_ising_lattice_energy_matches_bond_sum(shape, periodic, rng):
    J = (1.0, -0.7)
    model = IsingModel.lattice(shape, J=J, h=0.3, periodic=periodic)
    spins = rng.choice([-1, 1], size=(5,) + shape).astype(np.int8)
    expected = [brute_lattice_energy(s, J, 0.3, periodic) for s in spins]
    np.testing.assert_allclose(model.energy(spins), expected, rtol=1e-12)
    np.testing.assert_allclose(model.energy(spins.reshape(5, -1)), expected, rtol=1e-12)
    assert isinstance(model.energy(spins[0]), float)


def test_periodic_side_two_doubles_the_bond():
    model = IsingModel.lattice((2,), J=1.0)
    assert model.edges[2].tolist() == [2.0]
    assert model.energy([1, 1]) == -2.0


def test_graph_and_lattice_agree(rng):
    lat = IsingModel.lattice((3, 4), J=(0.5, 1.5), h=rng.normal(size=(3, 4)))
    graph = IsingModel.from_graph(lat.coupling_matrix, h=lat.h)
    spins = rng.choice([-1, 1], size=(10, 12))
    np.testing.assert_allclose(graph.energy(spins), lat.energy(spins), rtol=1e-12)


def test_to_dense_keeps_every_energy(rng):
    ising = IsingModel.lattice((2, 3), J=(1.0, -0.5), h=0.2)
    dense = ising.to_dense()
    spins = np.array(list(itertools.product([-1, 1], repeat=6)))
    np.testing.assert_allclose(dense.energy((spins + 1) // 2), ising.energy(spins), rtol=1e-12)
    potts = PottsModel.lattice((3, 3), 3, J=0.8, h=rng.normal(size=(9, 3)))
    x = rng.integers(0, 3, size=(20, 9))
    np.testing.assert_allclose(potts.to_dense().energy(x), potts.energy(x), rtol=1e-12)


def test_dense_energy_definition(rng):
    L, q = 4, 3
    h = rng.normal(size=(L, q))
    J = rng.normal(size=(L, L, q, q))
    J = J + J.transpose(1, 0, 3, 2)
    J[np.arange(L), np.arange(L)] = 0
    model = PottsModel(h, J)
    x = rng.integers(0, q, size=L)
    expected = -sum(h[i, x[i]] for i in range(L)) - sum(J[i, j, x[i], x[j]] for i in range(L) for j in range(i + 1, L))
    assert model.energy(x) == pytest.approx(expected, rel=1e-12)
    model32 = PottsModel(h.astype(np.float32), J.astype(np.float32))
    assert model32.dtype == np.float32
    assert model32.energy(x) == pytest.approx(expected, rel=1e-5)


def test_potts_magnetization():
    model = PottsModel.lattice((4,), 3)
    assert model.magnetization([0, 0, 0, 0]) == 1.0
    assert model.magnetization([[0, 1, 2, 0]]) == pytest.approx([(3 * 2 / 4 - 1) / 2])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: IsingModel.lattice((1, 4)), "side must be >= 2"),
        (lambda: IsingModel.lattice((4, 4, 4, 4)), "1, 2 or 3 dimensions"),
        (lambda: IsingModel.lattice((4, 4), J=(1, 2, 3)), "one number per axis"),
        (lambda: IsingModel.lattice((4, 4), h=np.ones(3)), "shape"),
        (lambda: IsingModel.lattice((4, 4), J=np.nan), "nan"),
        (lambda: IsingModel.from_graph(np.array([[0, 1], [2, 0]])), "symmetric"),
        (lambda: IsingModel.from_graph(np.eye(2)), "zero diagonal"),
        (lambda: PottsModel.lattice((4,), 1), "q must be between 2"),
        (lambda: PottsModel.lattice((4,), 3, h=np.ones(4)), "Potts field h"),
        (lambda: PottsModel(np.zeros((3, 2)), np.zeros((3, 3, 2, 3))), "shape"),
        (lambda: PottsModel(np.zeros((2, 2)), np.ones((2, 2, 2, 2))), "diagonal coupling blocks"),
    ],
)
def test_bad_input_is_refused_clearly(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_asymmetric_dense_couplings_are_named():
    J = np.zeros((3, 3, 2, 2))
    J[0, 1, 0, 1] = 1.0
    with pytest.raises(InputError, match=r"J\[0, 1, 0, 1\]"):
        PottsModel(np.zeros((3, 2)), J)


def test_invalid_states_are_refused():
    model = IsingModel.lattice((2, 2))
    with pytest.raises(InputError, match="spins -1/\\+1"):
        model.energy([1, 0, 1, 1])
    with pytest.raises(InputError, match="shape"):
        model.energy([1, 1, 1])
    potts = PottsModel.lattice((3,), 3)
    with pytest.raises(InputError, match="0..2"):
        potts.energy([0, 3, 1])


def test_sparse_graph_input(rng):
    A = sp.random(8, 8, density=0.4, random_state=1)
    A = A + A.T
    A.setdiag(0)
    model = PottsModel.from_graph(A, 3)
    x = rng.integers(0, 3, size=8)
    dense = A.toarray()
    expected = -sum(dense[i, j] for i in range(8) for j in range(i + 1, 8) if x[i] == x[j])
    assert model.energy(x) == pytest.approx(expected)
    assert isingbio.IsingModel.from_graph(A).is_ferromagnetic


def _reference_lattice_pairs(shape, periodic, J):
    """Brute force: one bond to the successor on every axis, repeated pairs summed."""
    shape = tuple(shape)
    pairs = {}
    for site in itertools.product(*[range(s) for s in shape]):
        for axis, side in enumerate(shape):
            if not periodic[axis] and site[axis] == side - 1:
                continue
            nb = list(site)
            nb[axis] = (nb[axis] + 1) % side
            i, j = np.ravel_multi_index(site, shape), np.ravel_multi_index(tuple(nb), shape)
            key = (min(i, j), max(i, j))
            pairs[key] = pairs.get(key, 0.0) + J[axis]
    return {k: v for k, v in pairs.items() if v != 0}


@pytest.mark.parametrize(
    "shape, periodic, J",
    [
        ((2,), (True,), (1.5,)),
        ((3,), (True,), (1.0,)),
        ((7,), (False,), (-0.5,)),
        ((2, 2), (True, True), (1.0, 0.5)),
        ((2, 5), (True, False), (1.0, -2.0)),
        ((3, 4), (True, True), (0.3, 0.0)),
        ((1, 4), (False, True), (1.0, 1.0)),
        ((2, 3, 2), (True, False, True), (1.0, 2.0, 3.0)),
        ((3, 3, 3), (True, True, True), (1.0, 1.0, 1.0)),
    ],
)
def test_lattice_edges_match_brute_force(shape, periodic, J):
    model = IsingModel.lattice(shape, J=J, periodic=periodic)
    i, j, w = model.edges
    got = dict(zip(zip(i.tolist(), j.tolist()), w.tolist()))
    assert len(got) == len(i)  # no pair listed twice
    assert got == _reference_lattice_pairs(shape, periodic, J)


def test_large_lattice_is_built_lazily_and_huge_ones_refused():
    model = IsingModel.lattice((1024, 1024))  # no bond list until something needs it
    assert "edges" not in vars(model.couplings) and model.is_ferromagnetic
    with pytest.raises(MemoryError, match=r"needs [0-9.]+ [GTP]iB"):
        IsingModel.lattice((10**6, 10**6))
    with pytest.raises(MemoryError, match=r"needs [0-9.]+ [GTP]iB"):
        PottsModel.lattice((10**5, 10**5), 3)


def test_non_integer_shapes_and_complex_couplings_are_refused():
    with pytest.raises(InputError, match="integers"):
        IsingModel.lattice((2.5, 4))
    assert IsingModel.lattice((4.0, np.int64(4))).shape == (4, 4)
    with pytest.raises(InputError, match="real"):
        IsingModel.from_graph(np.array([[0, 1j], [1j, 0]]))


def test_models_describe_themselves_and_refuse_empty_dense_couplings():
    assert repr(IsingModel.lattice((4, 5), J=0.7, h=0.1)).startswith("IsingModel.lattice(shape=(4, 5)")
    assert repr(PottsModel.from_graph(np.array([[0, 1.0], [1.0, 0]]), 3)).startswith("PottsModel.from_graph(L=2")
    assert repr(PottsModel(np.zeros((2, 3)), np.zeros((2, 2, 3, 3)))).startswith("PottsModel(L=2")
    with pytest.raises(InputError, match="at least one site"):
        PottsModel(np.zeros((0, 3)), np.zeros((0, 0, 3, 3)))


def test_zero_field_energy_is_positive_zero():
    _, e_field = IsingModel.lattice(4).energy_parts(np.ones(4, int))
    assert e_field == 0.0 and np.copysign(1.0, e_field) == 1.0
