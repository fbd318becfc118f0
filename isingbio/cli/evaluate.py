"""``isingbio evaluate``: compare fitted models by their normalised test likelihood.

One row per model: log Z with its error (exact for independent-site models and models small
enough to enumerate, else annealed importance sampling), the mean log-likelihood per test
sequence with its error (sequences reweighted at 80% identity), the one-site and connected
Pearson correlations of sequences sampled from the model against the training alignment, and
the contact precision P@L given a structure. With ``--train`` the first row is the
independent-site (profile) model of the training alignment, whose log Z is exact: the
baseline a coupled model must beat.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings
from typing import Any

import numpy as np

from ..errors import InputError, IsingbioError, ModelWarning
from .common import add_common_options, show_progress


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "evaluate",
        help="compare models by normalised test log-likelihood (with errors), sample statistics and P@L",
        description="For each MODEL.npz print log Z (with error), the mean test log-likelihood per "
        "sequence (with error, log Z error included), the Pearson correlations of sampled "
        "one-site frequencies and connected correlations against --train, and P@L with "
        "--structure. With --train the independent-site (profile) model is the baseline row.",
    )
    p.add_argument("models", nargs="+", metavar="MODEL.npz", help="model files (isingbio fit, contacts --save-model)")
    p.add_argument("--test", required=True, metavar="ALN", help="held-out alignment (same columns as the models)")
    p.add_argument("--train", default=None, metavar="ALN", help="training alignment: sample statistics and baseline")
    p.add_argument("--structure", default=None, metavar="PDB", help="structure of the target: contact P@L")
    p.add_argument("--chain", default=None, metavar="A", help="chain of --structure")
    p.add_argument("--samples", type=int, default=5000, metavar="N", help="sequences sampled per model (5000)")
    p.add_argument("--ais-chains", type=int, default=64, metavar="N", help="AIS chains for log Z (64)")
    p.add_argument("--ais-steps", type=int, default=2000, metavar="N", help="AIS temperatures for log Z (2000)")
    p.add_argument(
        "--alignment-format",
        "--format",
        dest="format",
        default=None,
        choices=["fasta", "a2m", "a3m", "stockholm", "aln"],
        help="format of --test and --train (default: detected)",
    )
    add_common_options(p)
    p.set_defaults(func=run)
    return p


def _read(path: str, fmt: str | None, what: str):
    from ..alignment import read_alignment

    if not os.path.exists(path):
        raise InputError(f"{what} {path}: no such file")
    aln = read_alignment(path, format=fmt)
    if aln.N < 1:
        raise InputError(f"{what} {path}: no sequences")
    return aln


def profile_model(aln: Any, weights: np.ndarray, pseudocount: float = 0.5):
    """The independent-site model of a reweighted alignment (log frequencies, pseudocount
    ``pseudocount / N_eff`` of the uniform distribution)."""
    from ..models import PottsModel

    L, q = aln.L, aln.q
    f = np.zeros((L, q))
    for i in range(L):
        f[i] = np.bincount(aln.matrix[:, i], weights=weights, minlength=q)
    f /= weights.sum()
    pc = min(pseudocount / weights.sum(), 0.5)
    h = np.log((1 - pc) * f + pc / q)
    model = PottsModel(h - h.mean(axis=1, keepdims=True), np.zeros((L, L, q, q)))
    model.alphabet, model.positions = aln.alphabet, aln.positions
    model.metadata = {"gaps_modelled": True, "hyperparameters": {"method": "independent sites (profile)"}}
    return model


def _row(name: str, model: Any, args: argparse.Namespace, test: Any, w_test: np.ndarray, train: Any, cmap: Any):
    from ..annealed_importance import ais
    from ..likelihood import exact_log_z, log_likelihood
    from ..sequence_sampling import sample_sequences
    from ..sequence_statistics import compare_statistics

    if model.n_sites != test.L or model.q != test.q:
        raise InputError(
            f"{name}: the model (L = {model.n_sites}, q = {model.q}) does not match --test ({test.L}, {test.q})"
        )
    log_z: Any = exact_log_z(model)
    if log_z is None:
        log_z = ais(
            model, n_chains=args.ais_chains, n_steps=args.ais_steps, seed=args.seed, n_threads=args.threads,
            progress=show_progress(args),
        )  # fmt: skip
    ll = log_likelihood(model, test, log_z=log_z, weights=w_test)
    row: dict[str, Any] = dict(name=name, log_z=ll.log_z, log_z_err=ll.log_z_stderr, ll=ll.mean, ll_err=ll.stderr)
    if train is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = sample_sequences(
                model, args.samples, n_chains=min(args.samples, 1000), burn_in=200, thin=10, method="metropolis",
                seed=args.seed, n_threads=args.threads, warn=False,
            )  # fmt: skip
            cmp = compare_statistics(s, train, weights=train_weights(train, args), model=model)
        row["p1"], row["p2"] = cmp.pearson["one_site"], cmp.pearson.get("two_site", math.nan)
        row["s2"] = cmp.slope.get("two_site", math.nan)
    if cmap is not None:
        from ..contacts import contact_scores
        from ..evaluation import evaluate_contacts

        row["pl"] = evaluate_contacts(contact_scores(model), cmap)["P@L"]
    return row


_TRAIN_W: dict[int, np.ndarray] = {}


def train_weights(train: Any, args: argparse.Namespace) -> np.ndarray:
    from ..weights import sequence_weights

    key = id(train)
    if key not in _TRAIN_W:
        _TRAIN_W[key] = sequence_weights(train, identity=0.8, n_threads=args.threads)[0]
    return _TRAIN_W[key]


def run(args: argparse.Namespace) -> int:
    from ..sequences import gaps_modelled
    from ..weights import sequence_weights
    from .sample import load_model_file

    if args.samples < 1:
        raise InputError(f"--samples must be >= 1, got {args.samples}")
    test = _read(args.test, args.format, "--test")
    train = _read(args.train, args.format, "--train") if args.train else None
    if train is not None and (train.L != test.L or train.q != test.q):
        raise InputError(f"--train has L = {train.L}, q = {train.q} but --test has L = {test.L}, q = {test.q}")
    models = []
    for path in args.models:
        model = load_model_file(path)
        if model.n_sites != test.L or model.q != test.q:
            raise InputError(
                f"{path}: the model (L = {model.n_sites}, q = {model.q}) does not match "
                f"--test (L = {test.L}, q = {test.q})"
            )
        models.append((os.path.basename(path), model))
    cmap = None
    if args.structure is not None:
        from ..structure import contact_map_from_structure

        try:
            cmap = contact_map_from_structure(args.structure, chain=args.chain, sequence=test)
        except ImportError as exc:
            raise IsingbioError(f"--structure: {exc}") from None
    w_test = sequence_weights(test, identity=0.8, n_threads=args.threads)[0]
    out = sys.stdout
    print(f"test: {args.test}: N = {test.N} (N_eff = {w_test.sum():.1f}), L = {test.L}", file=out)
    if train is None:
        models_all = models
        print("no --train: no profile baseline and no sample statistics", file=out)
    else:
        models_all = [("profile (baseline)", profile_model(train, train_weights(train, args)))] + models
    rows = []
    for name, model in models_all:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ModelWarning)
            rows.append(_row(name, model, args, test, w_test, train, cmap))
        if gaps_modelled(model) is False:
            print(
                f"note: {name} was fitted with gaps as missing data: "
                "its likelihood of gapped sequences is not comparable",
                file=out,
            )
    width = max(len(r["name"]) for r in rows)
    head = f"{'model':<{width}}  {'log Z':>18}  {'test log-lik/seq':>18}"
    if train is not None:
        head += f"  {'r one-site':>10}  {'r conn':>7}  {'slope':>6}"
    if cmap is not None:
        head += f"  {'P@L':>5}"
    print(head, file=out)
    for r in rows:
        line = f"{r['name']:<{width}}  {r['log_z']:>10.3f} +- {r['log_z_err']:<5.3f}"
        line += f"  {r['ll']:>10.3f} +- {r['ll_err']:<5.3f}"
        if train is not None:
            line += f"  {r['p1']:>10.4f}  {r['p2']:>7.4f}  {r['s2']:>6.3f}"
        if cmap is not None:
            line += f"  {r['pl']:>5.3f}"
        print(line, file=out)
    return 0
