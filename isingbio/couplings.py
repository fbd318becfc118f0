"""Storage forms of the couplings: lattice, graph and dense.

A model (:class:`~isingbio.models.IsingModel`, :class:`~isingbio.models.PottsModel`)
holds one couplings object of one of three immutable types:

:class:`LatticeCouplings`
    One J per axis of a hypercubic lattice in 1-3 dimensions, periodic or open per axis.
:class:`GraphCouplings`
    Scalar couplings J_ij on the edges i < j of an arbitrary graph.
:class:`DenseCouplings`
    General Potts couplings J of shape (L, L, q, q) (protein models).

Each form owns its compiled kernels: :meth:`Couplings.kernel` names, for a sampling method,
the kernel that runs and the arrays it takes, as a :class:`KernelCall`. The sampler asks the
form; nothing builds a kernel's name from strings. Each form also computes its part of the
energy, converts itself to dense couplings, and writes itself to (and reads itself from) the
plain arrays of a model file.

Conventions are those of :mod:`isingbio.models`: H_J(x) = -sum_{i<j} J_ij(x_i, x_j); Ising
spins are -1/+1 with J_ij(s_i, s_j) = J_ij s_i s_j; scalar Potts couplings are
J_ij delta(x_i, x_j).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from ._kernels import _cluster, _dense, _graph, _lattice  # compiled, typed by their .pyi stubs
from ._validation import check_finite, check_memory, format_bytes
from .errors import InputError, UnsupportedMethodError

__all__ = [
    "METHODS",
    "CLUSTER_METHODS",
    "KernelCall",
    "Couplings",
    "LatticeCouplings",
    "GraphCouplings",
    "DenseCouplings",
    "couplings_from_arrays",
]

METHODS = ("metropolis", "heatbath", "swendsen-wang", "wolff")
CLUSTER_METHODS = ("swendsen-wang", "wolff")
# the spellings users give for each method
METHOD_ALIASES = {
    "metropolis": "metropolis",
    "heatbath": "heatbath",
    "heat-bath": "heatbath",
    "gibbs": "heatbath",
    "swendsen-wang": "swendsen-wang",
    "swendsen_wang": "swendsen-wang",
    "sw": "swendsen-wang",
    "wolff": "wolff",
}
SINGLE_SITE_METHODS = ("metropolis", "heatbath")

# (ising?, method) -> kernel, one table per kernel module
_LATTICE_KERNELS: dict[tuple[bool, str], Callable[..., Any]] = {
    (True, "metropolis"): _lattice.ising_metropolis,
    (True, "heatbath"): _lattice.ising_heatbath,
    (False, "metropolis"): _lattice.potts_metropolis,
    (False, "heatbath"): _lattice.potts_heatbath,
}
_GRAPH_KERNELS: dict[tuple[bool, str], Callable[..., Any]] = {
    (True, "metropolis"): _graph.ising_metropolis,
    (True, "heatbath"): _graph.ising_heatbath,
    (False, "metropolis"): _graph.potts_metropolis,
    (False, "heatbath"): _graph.potts_heatbath,
}
_CLUSTER_KERNELS: dict[tuple[bool, str], Callable[..., Any]] = {
    (True, "swendsen-wang"): _cluster.ising_swendsen_wang,
    (True, "wolff"): _cluster.ising_wolff,
    (False, "swendsen-wang"): _cluster.potts_swendsen_wang,
    (False, "wolff"): _cluster.potts_wolff,
}
_DENSE_KERNELS: dict[str, Callable[..., Any]] = {
    "metropolis": _dense.potts_metropolis,
    "heatbath": _dense.potts_heatbath,
}


@dataclass(frozen=True, repr=False)
class KernelCall:
    """A compiled sweep kernel bound to one model's arrays.

    Calling it runs ``function(*model_args, *common, **keywords, **extra)``, where
    ``common`` are the arguments every sweep kernel shares (states, rng, betas, records;
    see ``isingbio/_kernels/README.md``). Every kernel runs a path of inverse temperatures
    (``beta_J_path``, ``beta_h_path``) in one call.

    Attributes
    ----------
    function : callable
        The kernel.
    model_args : tuple
        The model arrays it takes before the common arguments.
    keywords : mapping
        Keyword arguments fixed by the model (the lattice behind a cluster kernel's graph).
    region_per_call : bool
        True if the kernel opens one OpenMP parallel region per call, however long the
        path; False if it opens one per step of a path (small steps then run faster on
        one thread).
    """

    function: Callable[..., Any]
    model_args: tuple
    keywords: Mapping[str, Any] = field(default_factory=dict)
    region_per_call: bool = True

    def __call__(self, *common: Any, **extra: Any) -> None:
        self.function(*self.model_args, *common, **self.keywords, **extra)

    def __repr__(self) -> str:
        return f"KernelCall({self.function.__module__}.{self.function.__name__})"


class Couplings:
    """Base of the three storage forms (not instantiated itself)."""

    form: ClassVar[str]
    constructor: ClassVar[str] = ""  # the model constructor of this form, for reprs
    n_sites: int

    @property
    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(i, j, J_ij) over the coupled pairs i < j: int64, int64, float64 (scalar forms)."""
        raise NotImplementedError

    @property
    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Symmetric neighbour lists: (indptr int64, indices int32, weights float64) (scalar forms)."""
        raise NotImplementedError

    @property
    def is_ferromagnetic(self) -> bool:
        """True if every coupling is a scalar >= 0."""
        raise NotImplementedError

    def methods(self, *, ising: bool) -> tuple[str, ...]:
        """The sampling methods whose kernels apply to these couplings."""
        raise NotImplementedError

    def check_method(self, method: str, *, ising: bool) -> None:
        """Raise :class:`UnsupportedMethodError` if `method` does not apply."""
        allowed = self.methods(ising=ising)
        if method not in allowed:
            raise UnsupportedMethodError(
                f"method {method!r} does not apply to this model: {self._why_not(method)}; "
                f"use one of {', '.join(allowed)}"
            )

    def _why_not(self, method: str) -> str:
        return "Potts cluster moves need ferromagnetic couplings (J >= 0), and this model has negative ones"

    def kernel(self, method: str, h: np.ndarray, *, ising: bool, q: int) -> KernelCall:
        """The kernel that runs `method` on a model with these couplings and fields `h`."""
        raise NotImplementedError

    def coupling_energy(self, x: np.ndarray, *, ising: bool) -> np.ndarray:
        """H_J of each row of `x` (int64, shape (n, L))."""
        raise NotImplementedError

    def dense(self, q: int, *, ising: bool, dtype: Any = np.float64) -> np.ndarray:
        """These couplings as a dense (L, L, q, q) array (Ising: state 0 is -1, 1 is +1)."""
        raise NotImplementedError

    def pair_tables(self, q: int, *, ising: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(i, j, tables): coupled pairs i < j with their (q, q) coupling tables J_ij(a, b)."""
        raise NotImplementedError

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The arrays that describe these couplings in a model file (keys without prefix)."""
        raise NotImplementedError

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Couplings:
        """The inverse of :meth:`to_arrays`."""
        raise NotImplementedError

    def describe(self) -> str:
        """A short description for reprs."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"


# -- scalar couplings on edges: the lattice and graph forms ----------------------------------


class _EdgeCouplings(Couplings):
    """What the lattice and graph forms share: scalar couplings on edges i < j."""

    @cached_property
    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Symmetric neighbour lists: (indptr int64, indices int32, weights float64)."""
        return _csr_from_edges(self.n_sites, *self.edges)

    @property
    def is_ferromagnetic(self) -> bool:
        """True if every coupling is >= 0."""
        return bool(np.all(self.edges[2] >= 0))

    def methods(self, *, ising: bool) -> tuple[str, ...]:
        return METHODS if ising or self.is_ferromagnetic else SINGLE_SITE_METHODS

    def _cluster_kernel(self, method: str, h: np.ndarray, *, ising: bool, q: int, **keywords: Any) -> KernelCall:
        indptr, indices, weights = self.csr
        args = (indptr, indices, weights, h) if ising else (indptr, indices, weights, q, h)
        return KernelCall(_CLUSTER_KERNELS[ising, method], args, keywords, region_per_call=True)

    def _graph_kernel(self, method: str, h: np.ndarray, *, ising: bool, q: int) -> KernelCall:
        indptr, indices, weights = self.csr
        args = (indptr, indices, weights, h) if ising else (indptr, indices, weights, q, h)
        return KernelCall(_GRAPH_KERNELS[ising, method], args, region_per_call=True)

    def coupling_energy(self, x: np.ndarray, *, ising: bool) -> np.ndarray:
        i, j, w = self.edges
        if not w.size:
            return np.zeros(len(x))
        if ising:
            xf = x.astype(np.float64)
            return -(xf[:, i] * xf[:, j]) @ w
        return -(x[:, i] == x[:, j]).astype(np.float64) @ w

    def _pair(self, q: int, ising: bool) -> np.ndarray:
        if ising:
            spin = np.array([-1.0, 1.0])
            return np.outer(spin, spin)
        return np.eye(q)

    def dense(self, q: int, *, ising: bool, dtype: Any = np.float64) -> np.ndarray:
        n = self.n_sites
        check_memory(
            n * n * q * q * np.dtype(dtype).itemsize,
            f"a dense copy of this {n}-site, q={q} model",
            "dense couplings take L*L*q*q numbers",
        )
        i, j, w = self.edges
        J = np.zeros((n, n, q, q), dtype=dtype)
        J[i, j] = w[:, None, None] * self._pair(q, ising)
        J[j, i] = J[i, j]
        return J

    def pair_tables(self, q: int, *, ising: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        i, j, w = self.edges
        return i, j, w[:, None, None] * self._pair(q, ising)[None]


@dataclass(frozen=True, eq=False, repr=False)
class LatticeCouplings(_EdgeCouplings):
    """One coupling per axis of a hypercubic lattice in 1, 2 or 3 dimensions.

    Sites are numbered in C order of `shape`; there is one bond from each site to its
    successor along every axis (wrapping where periodic). A periodic side of length 2 keeps
    both bonds of each pair (coupling 2J), the torus convention of the exact solutions.

    Parameters
    ----------
    shape : int or tuple of int
        Side lengths: >= 2 along periodic axes, >= 1 along open ones.
    J : float or sequence of float
        Coupling, the same along every axis or one per axis.
    periodic : bool or sequence of bool
        Periodic boundaries for all axes or per axis.
    """

    form: ClassVar[str] = "lattice"
    constructor: ClassVar[str] = ".lattice"
    shape: tuple[int, ...]
    J: np.ndarray
    periodic: tuple[bool, ...]

    def __init__(self, shape: Any, J: Any = 1.0, periodic: Any = True) -> None:
        shape = _as_shape(shape)
        periodic = _as_periodic(periodic, len(shape))
        _check_lattice(shape, periodic)
        J = _axis_couplings(J, len(shape))
        J.flags.writeable = False
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "periodic", periodic)
        object.__setattr__(self, "J", J)

    @property
    def n_sites(self) -> int:  # type: ignore[override]
        return int(np.prod(self.shape))

    @cached_property
    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(i, j, J_ij) over the coupled pairs i < j (built on first use, in linear time)."""
        return _lattice_edges(self.shape, self.periodic, self.J)

    @property
    def is_ferromagnetic(self) -> bool:
        return bool(np.all(self.J >= 0))

    @cached_property
    def _kernel_geometry(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (
            np.asarray(self.shape, dtype=np.int64),
            np.asarray(self.periodic, dtype=np.uint8),
            np.ascontiguousarray(self.J, dtype=np.float64),
        )

    def kernel(self, method: str, h: np.ndarray, *, ising: bool, q: int) -> KernelCall:
        self.check_method(method, ising=ising)
        if method in CLUSTER_METHODS:  # neighbours by index arithmetic where the kernel can
            return self._cluster_kernel(method, h, ising=ising, q=q, lattice=self._kernel_geometry)
        if not np.all(h == h[0]):  # per-site fields: the neighbour-list kernels
            return self._graph_kernel(method, h, ising=ising, q=q)
        shape, periodic, J = self._kernel_geometry
        if ising:
            args: tuple = (shape, periodic, J, float(h[0]))
        else:
            args = (shape, periodic, J, q, np.ascontiguousarray(h[0], dtype=np.float64))
        return KernelCall(_LATTICE_KERNELS[ising, method], args, region_per_call=True)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "shape": np.asarray(self.shape, dtype=np.int64),
            "periodic": np.asarray(self.periodic, dtype=bool),
            "J": np.asarray(self.J),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> LatticeCouplings:
        """The inverse of :meth:`to_arrays`."""
        return cls(tuple(int(v) for v in arrays["shape"]), arrays["J"], tuple(bool(v) for v in arrays["periodic"]))

    def describe(self) -> str:
        return f"shape={self.shape}, J={self.J.tolist()}, periodic={self.periodic}"


@dataclass(frozen=True, eq=False, repr=False)
class GraphCouplings(_EdgeCouplings):
    """Scalar couplings on the edges of an arbitrary graph.

    Parameters
    ----------
    J : scipy.sparse matrix or array_like, shape (L, L)
        Symmetric couplings with a zero diagonal; zeros are not edges.
    """

    form: ClassVar[str] = "graph"
    constructor: ClassVar[str] = ".from_graph"
    n_sites: int
    i: np.ndarray
    j: np.ndarray
    w: np.ndarray

    def __init__(self, J: Any) -> None:
        n, i, j, w = _graph_edges(J)
        for arr in (i, j, w):
            arr.flags.writeable = False
        object.__setattr__(self, "n_sites", n)
        object.__setattr__(self, "i", i)
        object.__setattr__(self, "j", j)
        object.__setattr__(self, "w", w)

    @property
    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.i, self.j, self.w

    def kernel(self, method: str, h: np.ndarray, *, ising: bool, q: int) -> KernelCall:
        self.check_method(method, ising=ising)
        if method in CLUSTER_METHODS:
            return self._cluster_kernel(method, h, ising=ising, q=q)
        return self._graph_kernel(method, h, ising=ising, q=q)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"n_sites": np.asarray(self.n_sites, dtype=np.int64), "i": self.i, "j": self.j, "w": self.w}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> GraphCouplings:
        """The inverse of :meth:`to_arrays`."""
        n = int(arrays["n_sites"])
        i = np.asarray(arrays["i"], dtype=np.int64)
        j = np.asarray(arrays["j"], dtype=np.int64)
        w = np.asarray(arrays["w"], dtype=np.float64)
        if not (i.shape == j.shape == w.shape and i.ndim == 1):
            raise InputError(f"graph edges must be three arrays of one length, got {i.shape}, {j.shape}, {w.shape}")
        if i.size and (min(i.min(), j.min()) < 0 or max(i.max(), j.max()) >= n):
            raise InputError(f"graph edge endpoints must be in 0..{n - 1}")
        mat = sp.coo_matrix((np.concatenate([w, w]), (np.concatenate([i, j]), np.concatenate([j, i]))), shape=(n, n))
        return cls(mat.tocsr())

    def describe(self) -> str:
        return f"L={self.n_sites}, edges={self.i.size}"


@dataclass(frozen=True, eq=False, repr=False)
class DenseCouplings(Couplings):
    """General Potts couplings J of shape (L, L, q, q), float32 or float64.

    J[i, j, a, b] == J[j, i, b, a] and the diagonal blocks J[i, i] are zero (checked). The
    array is kept as given when it is already contiguous in the model's floating type (no
    copy), so treat it as read-only.
    """

    form: ClassVar[str] = "dense"
    J: np.ndarray

    def __init__(self, J: Any, dtype: Any = None) -> None:
        J = np.asarray(J)
        if J.ndim != 4 or J.shape[0] != J.shape[1] or J.shape[2] != J.shape[3]:
            raise InputError(f"Potts couplings J must have shape (L, L, q, q), got {J.shape}")
        if J.shape[0] < 1:
            raise InputError("Potts couplings J must have at least one site, got L = 0")
        dtype = np.dtype(dtype or (np.float32 if J.dtype == np.float32 else np.float64))
        check_memory(J.size * dtype.itemsize, f"couplings of shape {J.shape}")
        J = np.ascontiguousarray(J, dtype=dtype)
        check_finite(J, "J")
        _check_dense_symmetry(J)
        object.__setattr__(self, "J", J)

    @property
    def n_sites(self) -> int:  # type: ignore[override]
        return int(self.J.shape[0])

    @property
    def q(self) -> int:
        return int(self.J.shape[2])

    @property
    def is_ferromagnetic(self) -> bool:
        return False

    @property
    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise InputError("a dense Potts model has no scalar edge list; use model.J")

    @property
    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise InputError("a dense Potts model has no scalar neighbour lists; use model.J")

    def methods(self, *, ising: bool) -> tuple[str, ...]:
        return SINGLE_SITE_METHODS

    def _why_not(self, method: str) -> str:
        return "cluster moves need scalar couplings J_ij delta(x_i, x_j), and a dense model has general J_ij(a, b)"

    def kernel(self, method: str, h: np.ndarray, *, ising: bool, q: int) -> KernelCall:
        self.check_method(method, ising=ising)
        return KernelCall(_DENSE_KERNELS[method], (h, self.J), region_per_call=True)

    def coupling_energy(self, x: np.ndarray, *, ising: bool) -> np.ndarray:
        n = self.n_sites
        sites = np.arange(n)
        e = np.empty(len(x))
        chunk = max(1, (1 << 24) // max(1, n * n))
        for start in range(0, len(x), chunk):
            xc = x[start : start + chunk]
            pair = self.J[sites[None, :, None], sites[None, None, :], xc[:, :, None], xc[:, None, :]]
            e[start : start + chunk] = -0.5 * pair.sum(axis=(1, 2), dtype=np.float64)
        return e

    def dense(self, q: int, *, ising: bool, dtype: Any = np.float64) -> np.ndarray:
        return self.J.astype(dtype)

    def pair_tables(self, q: int, *, ising: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        J = np.asarray(self.J, dtype=np.float64)
        nz = np.any(J != 0, axis=(2, 3))
        i, j = np.nonzero(np.triu(nz | nz.T, k=1))
        return i.astype(np.int64), j.astype(np.int64), J[i, j]

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"J": self.J}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> DenseCouplings:
        """The inverse of :meth:`to_arrays`."""
        return cls(arrays["J"])

    def describe(self) -> str:
        return f"L={self.n_sites}, dtype={self.J.dtype}, J: {format_bytes(self.J.nbytes)}"


FORMS: dict[str, type[Couplings]] = {
    LatticeCouplings.form: LatticeCouplings,
    GraphCouplings.form: GraphCouplings,
    DenseCouplings.form: DenseCouplings,
}


def dense_updates_per_call(n_sites: int, q: int, budget: float) -> float:
    """Site updates per dense-kernel call for a budget of coupling reads (`budget`).

    A dense update reads L couplings, so ``budget / L`` updates keep a call (and the wait for
    Ctrl-C) to a fraction of a second; but a call also copies J (L^2 q^2) into its transposed
    layout, so at least ``10 L q^2`` updates keep that copy under a tenth of the call. Dense
    results do not depend on where calls end.
    """
    return max(budget / n_sites, 10.0 * n_sites * q * q)


def couplings_from_arrays(form: str, arrays: Mapping[str, np.ndarray]) -> Couplings:
    """Rebuild couplings written by :meth:`Couplings.to_arrays` (``form`` names the type)."""
    if form not in FORMS:
        raise InputError(f"unknown couplings form {form!r}; expected one of {', '.join(FORMS)}")
    return FORMS[form].from_arrays(arrays)


# -- validation and geometry -------------------------------------------------------------------


def _as_shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral):
        shape = (int(shape),)
    try:
        values = tuple(shape)
        if not all(
            isinstance(v, numbers.Integral)
            and not isinstance(v, (bool, np.bool_))
            or (isinstance(v, numbers.Real) and float(v).is_integer())
            for v in values
        ):
            raise ValueError
        shape = tuple(int(v) for v in values)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"lattice shape must be a tuple of integers, got {shape!r}") from None
    if not 1 <= len(shape) <= 3:
        raise InputError(f"lattices have 1, 2 or 3 dimensions, got shape {shape}")
    return shape


def _as_periodic(periodic: Any, ndim: int) -> tuple[bool, ...]:
    if isinstance(periodic, (bool, np.bool_)):
        return (bool(periodic),) * ndim
    periodic = tuple(bool(p) for p in periodic)
    if len(periodic) != ndim:
        raise InputError(f"periodic must be a bool or one bool per axis ({ndim}), got {periodic}")
    return periodic


def _check_lattice(shape: tuple[int, ...], periodic: tuple[bool, ...]) -> None:
    for axis, (side, per) in enumerate(zip(shape, periodic)):
        if per and side < 2:
            raise InputError(f"periodic lattice side must be >= 2, got {side} on axis {axis}")
        if side < 1:
            raise InputError(f"lattice side must be >= 1, got {side} on axis {axis}")


def _axis_couplings(J: Any, ndim: int) -> np.ndarray:
    if np.iscomplexobj(J):
        raise InputError("lattice J must be real numbers, got complex ones")
    arr = np.atleast_1d(np.asarray(J, dtype=np.float64))
    if arr.ndim != 1 or arr.size not in (1, ndim):
        raise InputError(f"lattice J must be a number or one number per axis ({ndim}), got shape {np.shape(J)}")
    check_finite(arr, "J")
    return np.broadcast_to(arr, (ndim,)).copy()


def _lattice_n_edges(shape: tuple[int, ...], periodic: tuple[bool, ...], J_axis: np.ndarray) -> int:
    """Number of coupled pairs of a lattice (a periodic side of 2 has one pair per row)."""
    n = int(np.prod(shape))
    total = 0
    for axis, (side, per) in enumerate(zip(shape, periodic)):
        if J_axis[axis] != 0:
            total += n if per and side > 2 else n // side * (side - 1)
    return total


def _lattice_edges(
    shape: tuple[int, ...], periodic: tuple[bool, ...], J_axis: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique pairs i < j with their total coupling (doubled bonds summed).

    Pairs along different axes are distinct, and along one axis only a periodic side of 2
    repeats a pair (its wrapping bond): that side keeps its inner bonds with coupling 2J.
    So no merging (sort) is needed, and large lattices are built in linear time.
    """
    n = int(np.prod(shape))
    n_edges = _lattice_n_edges(shape, periodic, J_axis)
    check_memory(n_edges * 8 * 3 * 2, f"the bond list of a {'x'.join(map(str, shape))} lattice ({n_edges} bonds)")
    idx = np.arange(n, dtype=np.int64).reshape(shape)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    a: np.ndarray
    b: np.ndarray
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


def _graph_edges(J: Any) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
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


def _csr_from_edges(n: int, i: np.ndarray, j: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Symmetric CSR (indptr int64, indices int32, weights float64), sorted columns."""
    mat = sp.coo_matrix(
        (np.concatenate([w, w]), (np.concatenate([i, j]), np.concatenate([j, i]))), shape=(n, n)
    ).tocsr()
    mat.sum_duplicates()
    mat.sort_indices()
    return mat.indptr.astype(np.int64), mat.indices.astype(np.int32), mat.data.astype(np.float64)


def _check_dense_symmetry(J: np.ndarray) -> None:
    n = J.shape[0]
    sites = np.arange(n)
    if np.any(J[sites, sites] != 0):
        k = int(np.flatnonzero(np.any(J[sites, sites] != 0, axis=(1, 2)))[0])
        raise InputError(f"diagonal coupling blocks J[i, i] must be zero, J[{k}, {k}] is not")
    tol = (1e-5 if J.dtype == np.float32 else 1e-10) * max(1.0, float(np.abs(J).max(initial=0.0)))
    for i in range(n):  # row by row: no full transposed copy
        diff = np.abs(J[i] - J[:, i].transpose(0, 2, 1))
        if diff.size and diff.max() > tol:
            j, a, b = np.unravel_index(int(np.argmax(diff)), diff.shape)
            raise InputError(
                f"couplings must satisfy J[i, j, a, b] == J[j, i, b, a]: "
                f"J[{i}, {j}, {a}, {b}] = {J[i, j, a, b]} but J[{j}, {i}, {b}, {a}] = {J[j, i, b, a]}"
            )
