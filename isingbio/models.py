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
A model holds one couplings object (:mod:`isingbio.couplings`): ``LatticeCouplings`` (one J
per axis), ``GraphCouplings`` (a symmetric sparse matrix of scalar couplings) or
``DenseCouplings`` (full Potts couplings, the protein model, q = 21), and fields ``h``. The
couplings object names the compiled kernel of each sampling method (:meth:`IsingModel.kernel`).
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from ._model_file import write_model
from ._validation import check_finite, check_memory
from .couplings import Couplings, DenseCouplings, GraphCouplings, KernelCall, LatticeCouplings
from .errors import InputError

__all__ = ["IsingModel", "PottsModel"]

_MAX_Q = 127  # states are stored as int8


class _Model:
    """What Ising and Potts models share: one couplings object, fields, energies, states."""

    kind: ClassVar[str]  # "ising" or "potts", as written in model files
    q: int
    couplings: Couplings
    h: np.ndarray
    # provenance of fitted models, kept by save/load
    alphabet: Any = None
    positions: np.ndarray | None = None
    metadata: dict

    _ising: bool = False

    # -- structure -------------------------------------------------------------------
    @property
    def form(self) -> str:
        """Name of the storage form: "lattice", "graph" or "dense" (see :attr:`couplings`)."""
        return self.couplings.form

    @property
    def n_sites(self) -> int:
        """Number of sites L."""
        return self.couplings.n_sites

    @property
    def shape(self) -> tuple[int, ...]:
        """Lattice shape, or ``(L,)`` for graph and dense models."""
        return getattr(self.couplings, "shape", (self.n_sites,))

    @property
    def periodic(self) -> tuple[bool, ...] | None:
        """Periodic axes of a lattice model (None for other forms)."""
        return getattr(self.couplings, "periodic", None)

    @property
    def lattice_J(self) -> np.ndarray | None:
        """Coupling along each axis of a lattice model (None for other forms)."""
        return self.couplings.J if isinstance(self.couplings, LatticeCouplings) else None

    @property
    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(i, j, J_ij) arrays over the coupled pairs i < j (lattice bonds merged)."""
        return self.couplings.edges

    @property
    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Symmetric neighbour lists: (indptr int64, indices int32, weights float64)."""
        return self.couplings.csr

    @property
    def coupling_matrix(self) -> sp.csr_matrix:
        """The symmetric (L, L) matrix of scalar couplings J_ij as scipy.sparse CSR."""
        indptr, indices, weights = self.csr
        return sp.csr_matrix((weights, indices, indptr), shape=(self.n_sites, self.n_sites))

    @property
    def is_ferromagnetic(self) -> bool:
        """True if every coupling is a scalar >= 0 (always False for dense models)."""
        return self.couplings.is_ferromagnetic

    def sampling_methods(self) -> tuple[str, ...]:
        """The Monte Carlo methods that apply to this model."""
        return self.couplings.methods(ising=self._ising)

    def kernel(self, method: str) -> KernelCall:
        """The compiled kernel that runs `method` on this model (see :mod:`isingbio.couplings`)."""
        return self.couplings.kernel(method, self.h, ising=self._ising, q=self.q)

    # -- states and energies -----------------------------------------------------------
    def _flat_states(self, states: Any, name: str = "states") -> tuple[np.ndarray, tuple[int, ...]]:
        """View states as (batch, L) int64 arrays; also return the batch shape."""
        arr = np.asarray(states)
        if arr.dtype.kind not in "iub":
            if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise InputError(f"{name} must be integers, got dtype {arr.dtype}")
        shape = self.shape
        if arr.shape[-len(shape) :] == shape and arr.ndim >= len(shape):
            batch = arr.shape[: arr.ndim - len(shape)]
        elif arr.ndim >= 1 and arr.shape[-1] == self.n_sites:
            batch = arr.shape[:-1]
        else:
            raise InputError(
                f"{name} must have shape (..., {self.n_sites}) or (..., {', '.join(map(str, shape))}), got {arr.shape}"
            )
        return arr.reshape(-1, self.n_sites).astype(np.int64, copy=False), batch

    def flat_states(self, states: Any, name: str = "states") -> tuple[np.ndarray, tuple[int, ...]]:
        """Check configurations and view them as rows of L int64 values.

        Parameters
        ----------
        states : array_like of int, shape (..., L) or ``(..., *shape)``
            Ising: spins -1/+1; Potts: states 0..q-1.
        name : str, optional
            What to call them in error messages.

        Returns
        -------
        flat : ndarray of int64, shape (n, L)
        batch : tuple of int
            The leading shape (...) of `states`, with n = prod(batch).

        Raises
        ------
        InputError
            Wrong shape, non-integers, or values outside the states of the model.
        """
        x, batch = self._flat_states(states, name)
        self._check_states(x)
        return x, batch

    @staticmethod
    def _unbatch(values: np.ndarray, batch: tuple[int, ...]) -> Any:
        values = values.reshape(batch)
        return float(values) if values.ndim == 0 else values

    def _check_states(self, x: np.ndarray) -> None:
        raise NotImplementedError

    def _field_energy(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def energy_parts(self, states: Any) -> tuple[Any, Any]:
        """Coupling and field parts (H_J, H_h) of the energy of each configuration.

        Parameters
        ----------
        states : array_like of int, shape (..., L) or ``(..., *shape)``

        Returns
        -------
        e_coupling, e_field : float or ndarray of float64, shape (...)
        """
        x, batch = self._flat_states(states)
        self._check_states(x)
        e_coupling = self.couplings.coupling_energy(x, ising=self._ising)
        return self._unbatch(e_coupling, batch), self._unbatch(self._field_energy(x), batch)

    def energy(self, states: Any) -> Any:
        """Energy H of each configuration.

        Parameters
        ----------
        states : array_like of int, shape (..., L) or ``(..., *shape)``
            Configurations (Ising: spins -1/+1; Potts: states 0..q-1).

        Returns
        -------
        float or ndarray of float64, shape (...)
            H(x) for each configuration (a float for a single configuration).
        """
        e_coupling, e_field = self.energy_parts(states)
        return e_coupling + e_field

    def save(self, path: Any, **metadata: Any) -> None:
        """Write the model, in its own storage form, to a self-describing .npz file.

        See :func:`isingbio.io.save_model`.
        """
        write_model(self, path, metadata)

    def __repr__(self) -> str:
        name = type(self).__name__ + self.couplings.constructor
        return f"{name}({self.couplings.describe()}, {self._describe_field()})"

    def _describe_field(self) -> str:
        uniform = self.h.size and np.all(self.h == self.h[0])
        return f"h={np.asarray(self.h[0]).tolist()}" if uniform else "h=per-site"


def _check_site_memory(couplings: Couplings, values_per_site: int) -> None:
    n = couplings.n_sites
    where = f"a {'x'.join(map(str, getattr(couplings, 'shape', (n,))))} {couplings.form}"
    check_memory(n * (8 * values_per_site + 2), f"{where} ({n} sites: fields and one state)")


class IsingModel(_Model):
    r"""Ising model H(s) = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i with spins s_i = -1/+1.

    Build one with :meth:`lattice` or :meth:`from_graph` (or from a couplings object of
    :mod:`isingbio.couplings`). See :mod:`isingbio.models` for the conventions.

    Parameters
    ----------
    couplings : LatticeCouplings or GraphCouplings
        Scalar couplings J_ij.
    h : float or array_like of shape (L,) or the lattice shape, optional
        Uniform or per-site field.

    Attributes
    ----------
    couplings : LatticeCouplings or GraphCouplings
    form : {"lattice", "graph"}
    shape : tuple of int
        Lattice shape, or ``(L,)`` for a graph.
    n_sites : int
        Number of sites L.
    h : ndarray of float64, shape (L,)
        Field on each site.
    lattice_J : ndarray of float64, shape (d,) or None
        Coupling along each axis (lattice form).
    periodic : tuple of bool or None
    metadata : dict
        Provenance kept with the model by :meth:`save`.
    """

    kind: ClassVar[str] = "ising"
    q = 2
    _ising = True

    def __init__(self, couplings: LatticeCouplings | GraphCouplings, h: Any = 0.0) -> None:
        if not isinstance(couplings, (LatticeCouplings, GraphCouplings)):
            raise InputError(
                f"an IsingModel needs lattice or graph couplings, got {type(couplings).__name__}; "
                "use IsingModel.lattice(...), IsingModel.from_graph(...) or PottsModel(h, J) for dense couplings"
            )
        _check_site_memory(couplings, 1)
        self.couplings = couplings
        self.h = self._site_field(h)
        self.metadata = {}

    @classmethod
    def lattice(cls, shape: Any, J: Any = 1.0, h: Any = 0.0, periodic: Any = True) -> IsingModel:
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

        Returns
        -------
        IsingModel
        """
        return cls(LatticeCouplings(shape, J, periodic), h)

    @classmethod
    def from_graph(cls, J: Any, h: Any = None) -> IsingModel:
        """Ising model on an arbitrary graph.

        Parameters
        ----------
        J : scipy.sparse matrix or array_like, shape (L, L)
            Symmetric couplings J_ij (zero diagonal); any signs and weights.
        h : float or array_like of shape (L,), optional
            Field on each site (default zero).

        Returns
        -------
        IsingModel
        """
        return cls(GraphCouplings(J), 0.0 if h is None else h)

    def _site_field(self, h: Any) -> np.ndarray:
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
    def uniform_field(self) -> float | None:
        """The field if it is the same on every site, else None."""
        return float(self.h[0]) if np.all(self.h == self.h[0]) else None

    def _field_energy(self, x: np.ndarray) -> np.ndarray:
        return -x.astype(np.float64) @ self.h  # (-x) @ h: a zero sum is +0.0, as before

    def _check_states(self, s: np.ndarray) -> None:
        if s.size and not np.all(np.abs(s) == 1):
            bad = np.argwhere(np.abs(s) != 1)[0]
            raise InputError(f"Ising states must be spins -1/+1, got {s[tuple(bad)]} at site {int(bad[1])}")

    def magnetization(self, states: Any) -> Any:
        """Mean spin of each configuration."""
        s, batch = self._flat_states(states)
        return self._unbatch(s.mean(axis=1), batch)

    def to_dense(self, dtype: Any = np.float64) -> PottsModel:
        """The same distribution as a dense q = 2 Potts model (state 0 is s = -1, 1 is s = +1)."""
        spin = np.array([-1.0, 1.0])
        J = self.couplings.dense(2, ising=True, dtype=dtype)
        return PottsModel((self.h[:, None] * spin[None, :]).astype(dtype), J)

    def _describe_field(self) -> str:
        f = self.uniform_field
        return f"h={'per-site' if f is None else f}"


class PottsModel(_Model):
    r"""q-state Potts model H(x) = -sum_{i<j} J_ij(x_i, x_j) - sum_i h_i(x_i), x_i in 0..q-1.

    ``PottsModel(h, J)`` builds the dense general model (the protein model, q = 21);
    :meth:`lattice` and :meth:`from_graph` build models with scalar couplings
    J_ij(a, b) = J_ij delta(a, b).

    Parameters
    ----------
    h : array_like, shape (L, q)
        Fields. float32 is kept as float32 when J is float32 too; anything else becomes
        float64.
    J : array_like of shape (L, L, q, q), or a couplings object
        Dense couplings with J[i, j, a, b] == J[j, i, b, a] and zero diagonal blocks
        J[i, i]; or :class:`~isingbio.couplings.LatticeCouplings` /
        :class:`~isingbio.couplings.GraphCouplings` for scalar couplings.

    Attributes
    ----------
    couplings : LatticeCouplings, GraphCouplings or DenseCouplings
    form : {"lattice", "graph", "dense"}
    q : int
    n_sites : int
        Number of sites L.
    shape : tuple of int
    h : ndarray, shape (L, q)
    J : ndarray, shape (L, L, q, q), or None
        Dense form only; lattice and graph forms have ``lattice_J`` / ``edges``.
    alphabet : isingbio.alignment.Alphabet or None
        Letters of the states, for models fitted to sequences.
    positions : ndarray of int64, shape (L,), or None
        Residue numbers of the sites (fitted models), else None for 1..L.
    metadata : dict
        Provenance kept with the model (fit settings, weights summary, seed, version).
    chains : ndarray of int8, shape (n, L), or None
        States drawn from the model and kept with it: the persistent chains at the end of a
        Boltzmann-machine fit (:func:`isingbio.fit_bm`). :func:`isingbio.sample_sequences`
        starts from them when no start is given, so its burn-in starts at equilibrium.
    """

    kind: ClassVar[str] = "potts"

    def __init__(self, h: Any, J: Any) -> None:
        h = np.asarray(h)
        if h.ndim != 2:
            raise InputError(f"Potts fields h must have shape (L, q), got {h.shape}")
        n, q = h.shape
        self.q = _check_q(q)
        if isinstance(J, Couplings):  # fields take the dense couplings' type
            couplings = J
            dtype = couplings.J.dtype if isinstance(couplings, DenseCouplings) else np.float64
        else:
            J = np.asarray(J)
            if J.shape != (n, n, q, q):
                raise InputError(f"Potts couplings J must have shape (L, L, q, q) = {(n, n, q, q)}, got {J.shape}")
            dtype = np.float32 if (h.dtype == np.float32 and J.dtype == np.float32) else np.float64
            couplings = DenseCouplings(J, dtype)
        if couplings.n_sites != n or getattr(couplings, "q", q) != q:
            raise InputError(f"fields h of shape {h.shape} do not match couplings {couplings.describe()}")
        _check_site_memory(couplings, q)
        h = np.ascontiguousarray(h, dtype=dtype)
        check_finite(h, "h")
        self.couplings = couplings
        self.h = h
        self.metadata = {}
        self.chains: np.ndarray | None = None

    @classmethod
    def lattice(cls, shape: Any, q: int, J: Any = 1.0, h: Any = None, periodic: Any = True) -> PottsModel:
        """q-state Potts model on a hypercubic lattice, H = -sum_<ij> J delta(x_i, x_j) - sum_i h_i(x_i).

        Parameters
        ----------
        shape : int or tuple of int
            Side lengths: >= 2 along periodic axes, >= 1 along open ones.
        q : int
            Number of states, 2..127.
        J : float or sequence of float, optional
            Coupling, uniform or one per axis.
        h : None, array_like of shape (q,), or of shape ``(*shape, q)`` or (L, q), optional
            Field: none, the same on every site, or per site.
        periodic : bool or sequence of bool, optional

        Returns
        -------
        PottsModel
        """
        q = _check_q(q)
        couplings = LatticeCouplings(shape, J, periodic)
        _check_site_memory(couplings, q)  # before the (L, q) field is built, not only in __init__
        return cls(_potts_field(h, q, couplings.n_sites, couplings.shape), couplings)

    @classmethod
    def from_graph(cls, J: Any, q: int, h: Any = None) -> PottsModel:
        """Potts model with scalar couplings on an arbitrary graph.

        Parameters
        ----------
        J : scipy.sparse matrix or array_like, shape (L, L)
            Symmetric couplings J_ij (zero diagonal): H contains -J_ij delta(x_i, x_j).
        q : int
        h : None, array_like of shape (q,) or (L, q), optional

        Returns
        -------
        PottsModel
        """
        q = _check_q(q)
        couplings = GraphCouplings(J)
        return cls(_potts_field(h, q, couplings.n_sites, (couplings.n_sites,)), couplings)

    @property
    def J(self) -> np.ndarray | None:
        """Dense couplings (L, L, q, q) of a dense model; None for lattice and graph models."""
        return self.couplings.J if isinstance(self.couplings, DenseCouplings) else None

    @property
    def dtype(self) -> np.dtype:
        """Floating type of the parameters (float32 or float64)."""
        return self.h.dtype

    @property
    def uniform_field(self) -> np.ndarray | None:
        """The (q,) field if every site has the same one, else None."""
        return self.h[0].copy() if np.all(self.h == self.h[0]) else None

    def _field_energy(self, x: np.ndarray) -> np.ndarray:
        sites = np.arange(self.n_sites)
        return -self.h[sites[None, :], x].sum(axis=1, dtype=np.float64)

    def _check_states(self, x: np.ndarray) -> None:
        if x.size and (x.min() < 0 or x.max() >= self.q):
            bad = np.argwhere((x < 0) | (x >= self.q))[0]
            raise InputError(f"Potts states must be in 0..{self.q - 1}, got {x[tuple(bad)]} at site {int(bad[1])}")

    def magnetization(self, states: Any) -> Any:
        """Potts order parameter (q * max_a n_a / L - 1) / (q - 1) of each configuration."""
        x, batch = self._flat_states(states)
        self._check_states(x)
        counts = np.stack([(x == a).sum(axis=1) for a in range(self.q)], axis=1)
        m = (self.q * counts.max(axis=1) / self.n_sites - 1.0) / (self.q - 1)
        return self._unbatch(m, batch)

    def to_dense(self, dtype: Any = None) -> PottsModel:
        """The same model in dense form (a copy if already dense)."""
        dtype = np.dtype(dtype or (self.dtype if isinstance(self.couplings, DenseCouplings) else np.float64))
        return PottsModel(self.h.astype(dtype), self.couplings.dense(self.q, ising=False, dtype=dtype))

    def _describe_field(self) -> str:
        return f"q={self.q}, " + super()._describe_field()


def _potts_field(h: Any, q: int, n: int, shape: tuple[int, ...]) -> np.ndarray:
    """A (L, q) float64 field from None, a (q,) field for every site, or per-site fields."""
    if h is None:
        return np.zeros((n, q))
    arr = np.asarray(h, dtype=np.float64)
    if arr.shape == (q,):
        arr = np.tile(arr, (n, 1))
    elif arr.shape == (n, q) or arr.shape == shape + (q,):
        arr = arr.reshape(n, q).copy()
    else:
        raise InputError(f"Potts field h must have shape ({q},), ({n}, {q}) or {shape + (q,)}, got {arr.shape}")
    check_finite(arr, "h")
    return arr


def _check_q(q: Any) -> int:
    if isinstance(q, bool) or not isinstance(q, numbers.Integral):
        raise InputError(f"q must be an integer, got {q!r}")
    if not 2 <= int(q) <= _MAX_Q:
        raise InputError(f"q must be between 2 and {_MAX_Q}, got {q}")
    return int(q)
