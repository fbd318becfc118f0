"""Predict residue contacts of a protein family by pseudo-likelihood (plmDCA).

Without arguments it uses the built-in Kunitz domain family (PF00014) and its reference
contact map; with an alignment (and optionally a structure) it works on your data.

    python examples/contact_prediction.py
    python examples/contact_prediction.py family.a2m --focus TARGET/1-120 --structure x.pdb --chain A
"""

import argparse

import isingbio
from isingbio import data


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("alignment", nargs="?")
    parser.add_argument("--focus")
    parser.add_argument("--structure")
    parser.add_argument("--chain")
    parser.add_argument("--plot", default="contacts.png")
    args = parser.parse_args()

    if args.alignment is None:
        aln = data.example_alignment()
        cmap = data.example_contacts()
    else:
        aln = isingbio.read_alignment(args.alignment, focus=args.focus)
        cmap = (
            isingbio.contact_map_from_structure(args.structure, chain=args.chain, sequence=aln)
            if args.structure
            else None
        )
    print(aln.summary())

    fit = isingbio.fit_plm(aln, seed=1)  # reweighting at 80% identity, L2 as plmc
    scores = isingbio.contact_scores(fit.model)  # zero-sum gauge Frobenius norms + APC
    for i, j, score in isingbio.top_contacts(scores, min_separation=6, positions=aln.positions)[:10]:
        print(f"{i:5d} {j:5d} {score:8.3f}")
    if cmap is not None:
        print(isingbio.evaluate_contacts(scores, cmap))
        isingbio.plot_contacts(scores, cmap, args.plot, positions=aln.positions)
        print("wrote", args.plot)


if __name__ == "__main__":
    main()
