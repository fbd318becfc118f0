"""Transfer-matrix partition functions of the q-state Potts model on narrow strips.

The lattice and conventions are those of
``PottsModel.lattice((length, width), q, J, h, periodic=(periodic_length, periodic_width))``:
rows of `width` sites are stacked along `length` (axis 0), and

    H(x) = -sum_<ij> J_axis delta(x_i, x_j) - sum_i h(x_i),    p(x) ~ exp(-beta H(x)),

with one bond from each site to its successor along each axis (wrapping where periodic);
on a periodic side of length 2 both bonds between a pair are kept (coupling 2J).

The row-to-row transfer matrix acts on the q^width row configurations:
T = D V, D = diag(exp(-beta E_row)) (bonds inside a row and fields), V the Kronecker
product of `width` matrices exp(beta J_length delta(a, b)), never stored. A periodic
length gives Z = Tr T^length, an open one Z = 1' D (V D)^(length-1) 1. Products are
rescaled at every row (log Z is kept as a sum of logs), so nothing overflows. The trace
is taken either by multiplying T into blocks of identity columns (all entries positive,
no cancellation) or, when cheaper, q^width <= 3000 and J_length >= 0, from the eigenvalues
of the symmetric positive semi-definite D^1/2 V D^1/2 (log-sum-exp of their powers).

The mean energy and specific heat are derivatives of log Z in beta taken with 7-point
central differences (step 0.01 / max|J, h|): about 1e-10 relative for the energy and
1e-8 for the specific heat (measured against enumeration in tests/exact/test_transfer.py),
absolute rather than relative: at low temperature, where the specific heat is exponentially
small, its relative error is large.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._per_site import PerSite
from .._validation import check_beta, check_finite, check_memory, check_positive_int
from ..errors import InputError, TooLargeError

__all__ = ["StripThermodynamics", "potts_transfer_log_partition", "potts_transfer_thermodynamics",
           "MAX_ROW_STATES"]

MAX_ROW_STATES = 3 ** 9   # q^width limit (19683)
_EIG_MAX_STATES = 3000
_BLOCK_DOUBLES = 1 << 24  # memory of one block of columns (128 MiB)


@dataclass(frozen=True)
class StripThermodynamics(PerSite):
    """Exact results for a Potts strip, torus or cylinder (totals over length * width sites).

    Attributes
    ----------
    log_z : float
    energy : float
        <H> = -d log Z / d beta (total).
    specific_heat : float
        beta^2 var(H) = beta^2 d^2 log Z / d beta^2 (total, units of k_B).
    n_sites : int
    beta : float
    """

    log_z: float
    energy: float
    specific_heat: float
    n_sites: int
    beta: float


class _Strip:
    def __init__(self, q, width, length, J, h, periodic_width, periodic_length, max_row_states):
        if isinstance(q, bool) or not isinstance(q, (int, np.integer)) or not 2 <= int(q) <= 127:
            raise InputError(f"q must be an integer between 2 and 127, got {q!r}")
        self.q = q = int(q)
        self.width = W = check_positive_int(width, "width")
        self.length = check_positive_int(length, "length")
        self.periodic_width = bool(periodic_width)
        self.periodic_length = bool(periodic_length)
        for side, per, name in ((W, self.periodic_width, "width"), (self.length, self.periodic_length, "length")):
            if per and side < 2:
                raise InputError(f"a periodic {name} must be >= 2, got {side}")
        Jarr = np.atleast_1d(np.asarray(J, dtype=np.float64))
        if Jarr.ndim != 1 or Jarr.size not in (1, 2):
            raise InputError(f"J must be a number or (J_length, J_width), got shape {np.shape(J)}")
        check_finite(Jarr, "J")
        self.J_length, self.J_width = (float(Jarr[0]),) * 2 if Jarr.size == 1 else map(float, Jarr)
        harr = np.asarray(h, dtype=np.float64)
        if harr.ndim == 0:
            field = np.zeros(q)
            field[0] = float(harr)
        elif harr.shape == (q,):
            field = harr.copy()
        else:
            raise InputError(f"h must be a number (field on state 0) or a ({q},) vector, got shape {harr.shape}")
        check_finite(field, "h")
        self.field = field
        limit = check_positive_int(max_row_states, "max_row_states")
        self.n = q ** W
        if self.n > limit:
            raise TooLargeError(f"the transfer matrix of a width-{W} strip has q^width = {q}^{W} = {self.n} row "
                                f"states, more than max_row_states = {limit}")
        x = np.indices((q,) * W, dtype=np.int16).reshape(W, -1).T  # (n, W), column 0 most significant
        e = -field[x].sum(axis=1)
        if W > 1:
            pairs = [(c, c + 1) for c in range(W - 1)]
            if self.periodic_width:
                pairs.append((W - 1, 0))  # W = 2: the second bond of a doubled pair
            for a, b in pairs:
                e -= self.J_width * (x[:, a] == x[:, b])
        self.row_energy = e
        self.scale = max(abs(self.J_length), abs(self.J_width), float(np.abs(field).max()), 1e-300)

    def log_z(self, beta: float) -> float:
        q, W, n = self.q, self.width, self.n
        logd = -beta * self.row_energy
        cd = logd.max()
        d = np.exp(logd - cd)                      # D / e^cd
        k = beta * self.J_length
        cv = max(k, 0.0)
        # v / e^cv = off * (ones - I) + on * I, with v(a, b) = exp(k delta(a, b))
        off = math.exp(-cv)
        on = math.exp(k - cv)
        step_log = cd + W * cv                     # log scale taken out of each D V

        def apply_v(X):  # V X for X of shape (n, b), one Kronecker factor at a time
            b = X.shape[1]
            for c in range(W):
                X3 = X.reshape(q ** c, q, (q ** (W - c - 1)) * b)
                # sum over the other states from prefix and suffix sums: X >= 0, so nothing
                # cancels (on - off times X would lose everything when on << off, J < 0)
                pre = np.cumsum(X3, axis=1)
                suf = np.cumsum(X3[:, ::-1], axis=1)[:, ::-1]
                others = np.zeros_like(X3)
                others[:, 1:] += pre[:, :-1]
                others[:, :-1] += suf[:, 1:]
                X = (on * X3 + off * others).reshape(n, b)
            return X

        Lg = self.length
        if not self.periodic_length:
            vec = d.copy()
            logz = cd
            for _ in range(Lg - 1):
                vec = d * apply_v(vec[:, None])[:, 0]
                mx = vec.max()
                vec /= mx
                logz += step_log + math.log(mx)
            return logz + math.log(vec.sum())

        cost_iter = Lg * (W * q + 1) * float(n) * n
        # eigenvalues only for J_length >= 0: then D^1/2 V D^1/2 is positive semi-definite and the
        # powers of its eigenvalues are added without cancellation (J_length < 0 gives negative
        # eigenvalues whose odd powers cancel, e.g. on a frustrated odd ring)
        if k >= 0 and n <= _EIG_MAX_STATES and 4.0 * n ** 3 < cost_iter:
            check_memory(2 * 8 * n * n, f"a dense {n} x {n} transfer matrix")
            sd = np.sqrt(d)
            S = apply_v(np.diag(sd)) * sd[:, None]   # D^1/2 V D^1/2 (symmetric)
            lam = np.linalg.eigvalsh(0.5 * (S + S.T))
            la = np.abs(lam)
            top = la.max()
            terms = np.exp(Lg * (np.log(np.maximum(la, 1e-300)) - math.log(top)))
            return Lg * (step_log + math.log(top)) + math.log(terms.sum())
        # trace of T^Lg over blocks of identity columns
        block = max(1, min(n, _BLOCK_DOUBLES // n))
        logs = []
        for start in range(0, n, block):
            cols = np.arange(start, min(n, start + block))
            X = np.zeros((n, cols.size))
            X[cols, np.arange(cols.size)] = 1.0
            logx = 0.0
            for _ in range(Lg):
                X = d[:, None] * apply_v(X)
                mx = X.max()
                X /= mx
                logx += step_log + math.log(mx)
            tr = X[cols, np.arange(cols.size)].sum()
            if tr > 0:
                logs.append(logx + math.log(tr))
        logs = np.array(logs)
        top = logs.max()
        return float(top + math.log(np.exp(logs - top).sum()))


def potts_transfer_log_partition(q, width, length, beta, J=1.0, h=0.0, periodic_width=True,
                                 periodic_length=True, *, max_row_states=MAX_ROW_STATES) -> float:
    """Exact log Z of the q-state Potts model on a torus, cylinder or strip of small width.

    Parameters
    ----------
    q : int
        Number of states (2..127).
    width, length : int
        The lattice is ``PottsModel.lattice((length, width), q, ...)``: `length` rows of
        `width` sites. Periodic sides must be >= 2; a periodic side of 2 has doubled bonds.
    beta : float
        Inverse temperature (>= 0), multiplying the whole H, field included.
    J : float or (float, float), optional
        Coupling, or (J_length, J_width) per axis (the order of the lattice axes).
    h : float or array_like of shape (q,), optional
        Uniform field: a number acts on state 0 alone (H contains -h delta(x_i, 0)); a
        (q,) vector gives h(a) for every state a.
    periodic_width, periodic_length : bool, optional
        Periodic boundaries across and along the strip (default: a torus).
    max_row_states : int, optional
        Refuse (:class:`~isingbio.TooLargeError`) widths with more than this many row
        states q^width (default 3^9). Cost: about length * width * q * q^(2 width)
        operations for a periodic length, q^width times less for an open one.

    Returns
    -------
    float
        log Z.
    """
    beta = check_beta(beta)
    return _Strip(q, width, length, J, h, periodic_width, periodic_length, max_row_states).log_z(beta)


def potts_transfer_thermodynamics(q, width, length, beta, J=1.0, h=0.0, periodic_width=True,
                                  periodic_length=True, *, max_row_states=MAX_ROW_STATES
                                  ) -> StripThermodynamics:
    """Exact log Z, mean energy and specific heat of a Potts strip by transfer matrix.

    Parameters are those of :func:`potts_transfer_log_partition`. The energy and
    specific heat are 7-point central differences of log Z in beta (seven evaluations of
    log Z; ~1e-10 and ~1e-8 relative precision).

    Returns
    -------
    StripThermodynamics
        Totals over the length * width sites.
    """
    beta = check_beta(beta)
    strip = _Strip(q, width, length, J, h, periodic_width, periodic_length, max_row_states)
    step = 0.01 / strip.scale
    f = [strip.log_z(beta + k * step) for k in (-3, -2, -1, 0, 1, 2, 3)]
    d1 = (-f[0] + 9 * f[1] - 45 * f[2] + 45 * f[4] - 9 * f[5] + f[6]) / (60 * step)
    d2 = (2 * f[0] - 27 * f[1] + 270 * f[2] - 490 * f[3] + 270 * f[4] - 27 * f[5] + 2 * f[6]) / (180 * step ** 2)
    return StripThermodynamics(log_z=f[3], energy=-d1, specific_heat=beta * beta * max(d2, 0.0),
                               n_sites=strip.width * strip.length, beta=beta)
