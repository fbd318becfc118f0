"""Ising and Potts models: one meaning, three storage forms.

Conventions (every function of isingbio follows them)
-----------------------------------------------------
Every model is a pairwise Markov random field on discrete variables

    p(x) = exp(-beta * H(x)) / Z(beta),
    H(x) = -sum_{i<j} J_ij(x_i, x_j) - sum_i h_i(x_i).

* **Ising** (q = 2): spins s_i in {-1, +1} (int8), H(s) = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i.
  Positive J is ferromagnetic. Where an Ising model is seen as a q = 2 Potts model
  (:meth:`IsingModel.to_dense`), state index 0 is s = -1 and index 1 is s = +1.
* **Potts** (q >= 2): states x_i in {0, ..., q-1} (int8). Lattice and graph forms have scalar
  couplings, J_ij(a, b) = J_ij * delta(a, b); the dense form stores the full J of shape
  (L, L, q, q) with J[i, j, a, b] == J[j, i, b, a] and zero diagonal blocks J[i, i].
* beta multiplies the whole of H, fields included.
* **Lattices** are hypercubic in 1, 2 or 3 dimensions; sites are numbered in C order of
  `shape`; there is one bond from each site to its successor along every axis (wrapping
  where periodic). On a periodic side of length 2 the two bonds between a pair of sites are
  both kept, so that pair is coupled by 2J: this is the usual torus convention, and the one
  the exact solutions use.
* No gauge is imposed on dense models: energies are what (h, J) say.

Storage forms
-------------
``lattice``: one J per axis and a uniform or per-site field; ``graph``: a symmetric sparse
matrix of scalar couplings; ``dense``: full Potts couplings (the protein model, q = 21).
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from ._validation import check_finite, check_memory, format_bytes
from .errors import InputError

__all__ = ["IsingModel", "PottsModel"]

_MAX_Q = 127  # states are stored as int8


def _as_shape(shape) -> tuple:
    if isinstance(shape, numbers.Integral):
        shape = (int(shape),)
    try:
        values = tuple(shape)
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))
                   or (isinstance(v, numbers.Real) and float(v).is_integer()) for v in values):
            raise ValueError
        shape = tuple(int(v) for v in values)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"lattice shape must be a tuple of integers, got {shape!r}") from None
    if not 1 <= len(shape) <= 3:
        raise InputError(f"lattices have 1, 2 or 3 dimensions, got shape {shape}")
    return shape


def _as_periodic(periodic, ndim: int) -> tuple:
    if isinstance(periodic, (bool, np.bool_)):
        return (bool(periodic),) * ndim
    periodic = tuple(bool(p) for p in periodic)
    if len(periodic) != ndim:
        raise InputError(f"periodic must be a bool or one bool per axis ({ndim}), got {periodic}")
    return periodic


def _check_lattice(shape: tuple, periodic: tuple) -> None:
    for axis, (side, per) in enumerate(zip(shape, periodic)):
        if per and side < 2:
            raise InputError(f"periodic lattice side must be >= 2, got {side} on axis {axis}")
        if side < 1:
            raise InputError(f"lattice side must be >= 1, got {side} on axis {axis}")


def _axis_couplings(J, ndim: int) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(J, dtype=np.float64))
    if arr.ndim != 1 or arr.size not in (1, ndim):
        raise InputError(f"lattice J must be a number or one number per axis ({ndim}), got shape {np.shape(J)}")
    check_finite(arr, "J")
    return np.broadcast_to(arr, (ndim,)).copy()


def _lattice_n_edges(shape: tuple, periodic: tuple, J_axis: np.ndarray) -> int:
    """Number of coupled pairs of a lattice (a periodic side of 2 has one pair per row)."""
    n = int(np.prod(shape))
    total = 0
    for axis, (side, per) in enumerate(zip(shape, periodic)):
        if J_axis[axis] != 0:
            total += n if per and side > 2 else n // side * (side - 1)
    return total


def _lattice_edges(shape: tuple, periodic: tuple, J_axis: np.ndarray):
    """Unique pairs i < j with their total coupling (doubled bonds summed).

    Pairs along different axes are distinct, and along one axis only a periodic side of 2
    repeats a pair (its wrapping bond): that side keeps its inner bonds with coupling 2J.
    So no merging (sort) is needed, and large lattices are built in linear time.
    """
    n = int(np.prod(shape))
    n_edges = _lattice_n_edges(shape, periodic, J_axis)
    check_memory(n_edges * 8 * 3 * 2, f"the bond list of a {'x'.join(map(str, shape))} lattice ({n_edges} bonds)")
    idx = np.arange(n, dtype=np.int64).reshape(shape)
    rows, cols, weights = [], [], []
    for axis, (side, per) in enumerate(zip(shape, periodic)):
        if J_axis[axis] == 0 or side < 2:
            continue
        if per and side > 2:
            a = idx
            b = np.roll(idx, -1, axis=axis)
            w = J_axis[axis]
        else:  # open, or a periodic side of 2 (both bonds of each pair: 2J)
            sl = [slice(None)] * len(shape)
            sl[axis] = slice(0, side - 1)
            a = idx[tuple(sl)]
            sl[axis] = slice(1, side)
            b = idx[tuple(sl)]
            w = 2.0 * J_axis[axis] if per else J_axis[axis]
        a, b = a.ravel(), b.ravel()
        rows.append(np.minimum(a, b))
        cols.append(np.maximum(a, b))
        weights.append(np.full(a.size, w))
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)


def _merge_edges(n: int, i: np.ndarray, j: np.ndarray, w: np.ndarray):
    """Sum the weights of repeated pairs and drop zero couplings."""
    key = i * n + j
    uniq, inverse = np.unique(key, return_inverse=True)
    total = np.bincount(inverse, weights=w, minlength=uniq.size)
    keep = total != 0
    uniq, total = uniq[keep], total[keep]
    return (uniq // n).astype(np.int64), (uniq % n).astype(np.int64), total


def _graph_edges(J, n_expected=None):
    """Validate a symmetric coupling matrix and return (n, i, j, w) for i < j."""
    if np.dtype(getattr(J, "dtype", None) or np.asarray(J).dtype).kind == "c":
        raise InputError("graph couplings J must be real numbers, got a complex matrix")
    if sp.issparse(J):
        mat = sp.csr_matrix(J, dtype=np.float64)
    else:
        arr = np.asarray(J, dtype=np.float64)
        if arr.ndim != 2:
            raise InputError(f"graph couplings J must be a square (L, L) matrix, got shape {arr.shape}")
        mat = sp.csr_matrix(arr)
    if mat.shape[0] != mat.shape[1]:
        raise InputError(f"graph couplings J must be square, got shape {mat.shape}")
    n = mat.shape[0]
    if n < 1:
        raise InputError("graph couplings J must have at least one site")
    check_finite(mat.data, "J")
    diag = mat.diagonal()
    if np.any(diag != 0):
        k = int(np.flatnonzero(diag)[0])
        raise InputError(f"graph couplings J must have a zero diagonal, got J[{k},{k}] = {diag[k]}")
    asym = abs(mat - mat.T)
    if asym.nnz and asym.max() > 1e-12 * max(1.0, abs(mat).max()):
        coo = sp.coo_matrix(asym)
        k = int(np.argmax(coo.data))
        i, j = int(coo.row[k]), int(coo.col[k])
        raise InputError(f"graph couplings J must be symmetric: J[{i},{j}] = {mat[i, j]} but J[{j},{i}] = {mat[j, i]}")
    upper = sp.triu(mat, k=1).tocoo()
    i, j, w = upper.row.astype(np.int64), upper.col.astype(np.int64), upper.data.astype(np.float64)
    keep = w != 0
    return n, i[keep], j[keep], w[keep]


def _csr_from_edges(n: int, i, j, w):
    """Symmetric CSR (indptr int64, indices int32, weights float64), sorted columns."""
    mat = sp.coo_matrix((np.concatenate([w, w]), (np.concatenate([i, j]), np.concatenate([j, i]))),
                        shape=(n, n)).tocsr()
    mat.sum_duplicates()
    mat.sort_indices()
    return mat.indptr.astype(np.int64), mat.indices.astype(np.int32), mat.data.astype(np.float64)


class _PairwiseModel:
    """Common machinery of the lattice and graph forms (scalar couplings on edges)."""

    form: str
    q: int

    def _init_lattice(self, shape, J, periodic):
        self.shape = _as_shape(shape)
        self.periodic = _as_periodic(periodic, len(self.shape))
        _check_lattice(self.shape, self.periodic)
        self.lattice_J = _axis_couplings(J, len(self.shape))
        self.n_sites = int(np.prod(self.shape))
        per_site = 8 * (1 if isinstance(self, IsingModel) else self.q) + 2  # field + two int8 states
        check_memory(self.n_sites * per_site, f"a {'x'.join(map(str, self.shape))} lattice "
                     f"({self.n_sites} sites: fields and one state)")
        self.form = "lattice"
        self._edges = None  # built on first use (energy(), cluster and graph kernels)
        self._csr = None

    def _init_graph(self, J):
        n, i, j, w = _graph_edges(J)
        self.shape = (n,)
        self.periodic = None
        self.lattice_J = None
        self.n_sites = n
        self.form = "graph"
        self._edges = (i, j, w)
        self._csr = None

    # -- structure -------------------------------------------------------------------
    @property
    def edges(self):
        """(i, j, J_ij) arrays over the coupled pairs i < j (lattice bonds merged)."""
        if self._edges is None:
            self._edges = _lattice_edges(self.shape, self.periodic, self.lattice_J)
        return self._edges

    @property
    def csr(self):
        """Symmetric neighbour lists: (indptr int64, indices int32, weights float64)."""
        if self._csr is None:
            self._csr = _csr_from_edges(self.n_sites, *self.edges)
        return self._csr

    @property
    def coupling_matrix(self) -> sp.csr_matrix:
        """The symmetric (L, L) matrix of scalar couplings J_ij as scipy.sparse CSR."""
        indptr, indices, weights = self.csr
        return sp.csr_matrix((weights, indices, indptr), shape=(self.n_sites, self.n_sites))

    @property
    def is_ferromagnetic(self) -> bool:
        """True if every coupling is >= 0."""
        if self.form == "lattice":
            return bool(np.all(self.lattice_J >= 0))
        return bool(np.all(self._edges[2] >= 0))

    def _flat_states(self, states, name="states"):
        """View states as (batch, L) int64 arrays; also return the batch shape."""
        arr = np.asarray(states)
        if arr.dtype.kind not in "iub":
            if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise InputError(f"{name} must be integers, got dtype {arr.dtype}")
        shape = self.shape
        if arr.shape[-len(shape):] == shape and arr.ndim >= len(shape):
            batch = arr.shape[:arr.ndim - len(shape)]
        elif arr.ndim >= 1 and arr.shape[-1] == self.n_sites:
            batch = arr.shape[:-1]
        else:
            raise InputError(f"{name} must have shape (..., {self.n_sites}) or (..., {', '.join(map(str, shape))}), "
                             f"got {arr.shape}")
        return arr.reshape(-1, self.n_sites).astype(np.int64, copy=False), batch

    @staticmethod
    def _unbatch(values, batch):
        values = values.reshape(batch)
        return float(values) if values.ndim == 0 else values

    def energy(self, states):
        """Energy H of each configuration.

        Parameters
        ----------
        states : array_like of int, shape (..., L) or (..., *shape)
            Configurations (Ising: spins -1/+1; Potts: states 0..q-1).

        Returns
        -------
        float or ndarray of float64, shape (...)
            H(x) for each configuration (a float for a single configuration).
        """
        e_coupling, e_field = self.energy_parts(states)
        return e_coupling + e_field


class IsingModel(_PairwiseModel):
    r"""Ising model H(s) = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i with spins s_i = -1/+1.

    Build one with :meth:`lattice` or :meth:`from_graph`. See :mod:`isingbio.models` for
    the conventions.

    Attributes
    ----------
    form : {"lattice", "graph"}
    shape : tuple of int
        Lattice shape, or ``(L,)`` for a graph.
    n_sites : int
    h : ndarray of float64, shape (L,)
        Field on each site.
    lattice_J : ndarray of float64, shape (d,) or None
        Coupling along each axis (lattice form).
    periodic : tuple of bool or None
    """

    q = 2

    def __init__(self):  # use the constructors below
        raise TypeError("use IsingModel.lattice(...) or IsingModel.from_graph(...)")

    @classmethod
    def lattice(cls, shape, J=1.0, h=0.0, periodic=True) -> "IsingModel":
        """Hypercubic lattice in 1, 2 or 3 dimensions.

        Parameters
        ----------
        shape : int or tuple of int
            Side lengths (any, odd included): >= 2 along periodic axes, >= 1 along open ones.
        J : float or sequence of float, optional
            Coupling, the same on every bond or one value per axis.
        h : float or array_like of shape `shape`, optional
            Uniform or per-site field.
        periodic : bool or sequence of bool, optional
            Periodic boundaries (a torus) or open ones, for all axes or per axis.
        """
        self = object.__new__(cls)
        self._init_lattice(shape, J, periodic)
        self.h = self._site_field(h)
        return self

    @classmethod
    def from_graph(cls, J, h=None) -> "IsingModel":
        """Ising model on an arbitrary graph.

        Parameters
        ----------
        J : scipy.sparse matrix or array_like, shape (L, L)
            Symmetric couplings J_ij (zero diagonal); any signs and weights.
        h : float or array_like of shape (L,), optional
            Field on each site (default zero).
        """
        self = object.__new__(cls)
        self._init_graph(J)
        self.h = self._site_field(0.0 if h is None else h)
        return self

    def _site_field(self, h) -> np.ndarray:
        arr = np.asarray(h, dtype=np.float64)
        if arr.ndim == 0:
            arr = np.full(self.n_sites, float(arr))
        elif arr.shape == self.shape or arr.shape == (self.n_sites,):
            arr = arr.reshape(self.n_sites).copy()
        else:
            raise InputError(f"Ising field h must be a number or have shape {self.shape}, got {arr.shape}")
        check_finite(arr, "h")
        return arr

    @property
    def uniform_field(self):
        """The field if it is the same on every site, else None."""
        return float(self.h[0]) if np.all(self.h == self.h[0]) else None

    def energy_parts(self, states):
        """Coupling and field parts (H_J, H_h) of the energy of each configuration."""
        s, batch = self._flat_states(states)
        self._check_states(s)
        i, j, w = self.edges
        sf = s.astype(np.float64)
        e_coupling = -(sf[:, i] * sf[:, j]) @ w if w.size else np.zeros(len(s))
        e_field = -sf @ self.h
        return self._unbatch(e_coupling, batch), self._unbatch(e_field, batch)

    def _check_states(self, s):
        if s.size and not np.all(np.abs(s) == 1):
            bad = np.argwhere(np.abs(s) != 1)[0]
            raise InputError(f"Ising states must be spins -1/+1, got {s[tuple(bad)]} at site {int(bad[1])}")

    def magnetization(self, states):
        """Mean spin of each configuration."""
        s, batch = self._flat_states(states)
        return self._unbatch(s.mean(axis=1), batch)

    def to_dense(self, dtype=np.float64) -> "PottsModel":
        """The same distribution as a dense q = 2 Potts model (state 0 is s = -1, 1 is s = +1)."""
        n = self.n_sites
        check_memory(n * n * 4 * np.dtype(dtype).itemsize, f"a dense copy of this {n}-site model",
                     "dense couplings take L*L*q*q numbers")
        spin = np.array([-1.0, 1.0])
        i, j, w = self.edges
        J = np.zeros((n, n, 2, 2), dtype=np.float64)
        J[i, j] = w[:, None, None] * np.outer(spin, spin)
        J[j, i] = J[i, j]
        h = self.h[:, None] * spin[None, :]
        return PottsModel(h.astype(dtype), J.astype(dtype))

    def __repr__(self):
        if self.form == "lattice":
            f = self.uniform_field
            return (f"IsingModel.lattice(shape={self.shape}, J={self.lattice_J.tolist()}, "
                    f"h={'per-site' if f is None else f}, periodic={self.periodic})")
        return f"IsingModel.from_graph(L={self.n_sites}, edges={self._edges[0].size})"


class PottsModel(_PairwiseModel):
    r"""q-state Potts model H(x) = -sum_{i<j} J_ij(x_i, x_j) - sum_i h_i(x_i), x_i in 0..q-1.

    ``PottsModel(h, J)`` builds the dense general model (the protein model, q = 21);
    :meth:`lattice` and :meth:`from_graph` build models with scalar couplings
    J_ij(a, b) = J_ij delta(a, b).

    Parameters
    ----------
    h : array_like, shape (L, q)
        Fields. float32 is kept as float32; anything else becomes float64.
    J : array_like, shape (L, L, q, q)
        Couplings with J[i, j, a, b] == J[j, i, b, a] and zero diagonal blocks J[i, i].

    Attributes
    ----------
    form : {"lattice", "graph", "dense"}
    q : int
    n_sites : int
    shape : tuple of int
    h : ndarray, shape (L, q)
    J : ndarray, shape (L, L, q, q)
        Dense form only; lattice and graph forms have ``lattice_J`` / ``edges``.
    alphabet : isingbio.alignment.Alphabet or None
        Letters of the states, for models fitted to sequences.
    positions : ndarray of int64, shape (L,), or None
        Residue numbers of the sites (fitted models), else None for 1..L.
    metadata : dict
        Provenance kept with the model (fit settings, weights summary, seed, version).
    """

    alphabet = None
    positions = None

    def __init__(self, h, J):
        h = np.asarray(h)
        J = np.asarray(J)
        dtype = np.float32 if (h.dtype == np.float32 and J.dtype == np.float32) else np.float64
        if h.ndim != 2:
            raise InputError(f"Potts fields h must have shape (L, q), got {h.shape}")
        n, q = h.shape
        _check_q(q)
        if J.shape != (n, n, q, q):
            raise InputError(f"Potts couplings J must have shape (L, L, q, q) = {(n, n, q, q)}, got {J.shape}")
        check_memory(J.size * np.dtype(dtype).itemsize, f"couplings of shape {J.shape}")
        h = np.ascontiguousarray(h, dtype=dtype)
        J = np.ascontiguousarray(J, dtype=dtype)
        check_finite(h, "h")
        check_finite(J, "J")
        sites = np.arange(n)
        if np.any(J[sites, sites] != 0):
            k = int(np.flatnonzero(np.any(J[sites, sites] != 0, axis=(1, 2)))[0])
            raise InputError(f"diagonal coupling blocks J[i, i] must be zero, J[{k}, {k}] is not")
        tol = (1e-5 if dtype == np.float32 else 1e-10) * max(1.0, float(np.abs(J).max(initial=0.0)))
        for i in range(n):  # row by row: no full transposed copy
            diff = np.abs(J[i] - J[:, i].transpose(0, 2, 1))
            if diff.size and diff.max() > tol:
                j, a, b = np.unravel_index(int(np.argmax(diff)), diff.shape)
                raise InputError(f"couplings must satisfy J[i, j, a, b] == J[j, i, b, a]: "
                                 f"J[{i}, {j}, {a}, {b}] = {J[i, j, a, b]} but J[{j}, {i}, {b}, {a}] = {J[j, i, b, a]}")
        self.metadata = {}
        self.form = "dense"
        self.q = int(q)
        self.n_sites = int(n)
        self.shape = (int(n),)
        self.periodic = None
        self.lattice_J = None
        self.h = h
        self.J = J
        self._edges = None
        self._csr = None

    @classmethod
    def lattice(cls, shape, q, J=1.0, h=None, periodic=True) -> "PottsModel":
        """q-state Potts model on a hypercubic lattice, H = -sum_<ij> J delta(x_i, x_j) - sum_i h_i(x_i).

        Parameters
        ----------
        shape : int or tuple of int
            Side lengths: >= 2 along periodic axes, >= 1 along open ones.
        q : int
            Number of states, 2..127.
        J : float or sequence of float, optional
            Coupling, uniform or one per axis.
        h : None, array_like of shape (q,), or of shape (*shape, q) or (L, q), optional
            Field: none, the same on every site, or per site.
        periodic : bool or sequence of bool, optional
        """
        self = object.__new__(cls)
        self.q = _check_q(q)
        self._init_lattice(shape, J, periodic)
        self.h = self._site_field(h)
        self.J = None
        self.metadata = {}
        return self

    @classmethod
    def from_graph(cls, J, q, h=None) -> "PottsModel":
        """Potts model with scalar couplings on an arbitrary graph.

        Parameters
        ----------
        J : scipy.sparse matrix or array_like, shape (L, L)
            Symmetric couplings J_ij (zero diagonal): H contains -J_ij delta(x_i, x_j).
        q : int
        h : None, array_like of shape (q,) or (L, q), optional
        """
        self = object.__new__(cls)
        self.q = _check_q(q)
        self._init_graph(J)
        self.h = self._site_field(h)
        self.J = None
        self.metadata = {}
        return self

    def _site_field(self, h) -> np.ndarray:
        q, n = self.q, self.n_sites
        if h is None:
            return np.zeros((n, q))
        arr = np.asarray(h, dtype=np.float64)
        if arr.shape == (q,):
            arr = np.tile(arr, (n, 1))
        elif arr.shape == (n, q) or arr.shape == self.shape + (q,):
            arr = arr.reshape(n, q).copy()
        else:
            raise InputError(f"Potts field h must have shape ({q},), ({n}, {q}) or {self.shape + (q,)}, got {arr.shape}")
        check_finite(arr, "h")
        return arr

    @property
    def dtype(self):
        """Floating type of the parameters (float32 or float64)."""
        return self.h.dtype

    @property
    def uniform_field(self):
        """The (q,) field if every site has the same one, else None."""
        return self.h[0].copy() if np.all(self.h == self.h[0]) else None

    @property
    def edges(self):
        if self.form == "dense":
            raise InputError("a dense Potts model has no scalar edge list; use model.J")
        return super().edges

    @property
    def csr(self):
        if self.form == "dense":
            raise InputError("a dense Potts model has no scalar neighbour lists; use model.J")
        return super().csr

    @property
    def is_ferromagnetic(self) -> bool:
        if self.form == "dense":
            return False
        return super().is_ferromagnetic

    def _check_states(self, x):
        if x.size and (x.min() < 0 or x.max() >= self.q):
            bad = np.argwhere((x < 0) | (x >= self.q))[0]
            raise InputError(f"Potts states must be in 0..{self.q - 1}, got {x[tuple(bad)]} at site {int(bad[1])}")

    def energy_parts(self, states):
        """Coupling and field parts (H_J, H_h) of the energy of each configuration."""
        x, batch = self._flat_states(states)
        self._check_states(x)
        sites = np.arange(self.n_sites)
        e_field = -self.h[sites[None, :], x].sum(axis=1, dtype=np.float64)
        if self.form == "dense":
            e_coupling = np.empty(len(x))
            chunk = max(1, (1 << 24) // max(1, self.n_sites ** 2))
            for start in range(0, len(x), chunk):
                xc = x[start:start + chunk]
                pair = self.J[sites[None, :, None], sites[None, None, :], xc[:, :, None], xc[:, None, :]]
                e_coupling[start:start + chunk] = -0.5 * pair.sum(axis=(1, 2), dtype=np.float64)
        else:
            i, j, w = self.edges
            e_coupling = -(x[:, i] == x[:, j]).astype(np.float64) @ w if w.size else np.zeros(len(x))
        return self._unbatch(e_coupling, batch), self._unbatch(e_field, batch)

    def magnetization(self, states):
        """Potts order parameter (q * max_a n_a / L - 1) / (q - 1) of each configuration."""
        x, batch = self._flat_states(states)
        self._check_states(x)
        counts = np.stack([(x == a).sum(axis=1) for a in range(self.q)], axis=1)
        m = (self.q * counts.max(axis=1) / self.n_sites - 1.0) / (self.q - 1)
        return self._unbatch(m, batch)

    def to_dense(self, dtype=None) -> "PottsModel":
        """The same model in dense form (a copy if already dense)."""
        n, q = self.n_sites, self.q
        dtype = np.dtype(dtype or (self.dtype if self.form == "dense" else np.float64))
        if self.form == "dense":
            return PottsModel(self.h.astype(dtype), self.J.astype(dtype))
        check_memory(n * n * q * q * dtype.itemsize, f"a dense copy of this {n}-site, q={q} model",
                     "dense couplings take L*L*q*q numbers")
        i, j, w = self.edges
        J = np.zeros((n, n, q, q), dtype=dtype)
        eye = np.eye(q)
        J[i, j] = w[:, None, None] * eye
        J[j, i] = J[i, j]
        return PottsModel(self.h.astype(dtype), J)

    def save(self, path, **metadata) -> None:
        """Write the model to a self-describing .npz file (see :func:`isingbio.io.save_model`)."""
        from .io import save_model
        save_model(self, path, **metadata)

    def __repr__(self):
        if self.form == "lattice":
            return f"PottsModel.lattice(shape={self.shape}, q={self.q}, J={self.lattice_J.tolist()}, periodic={self.periodic})"
        if self.form == "graph":
            return f"PottsModel.from_graph(L={self.n_sites}, q={self.q}, edges={self._edges[0].size})"
        size = format_bytes(self.J.nbytes)
        return f"PottsModel(L={self.n_sites}, q={self.q}, dtype={self.dtype}, J: {size})"


def _check_q(q) -> int:
    if isinstance(q, bool) or not isinstance(q, numbers.Integral):
        raise InputError(f"q must be an integer, got {q!r}")
    if not 2 <= int(q) <= _MAX_Q:
        raise InputError(f"q must be between 2 and {_MAX_Q}, got {q}")
    return int(q)
