"""Figures: what they say (axis labels, the AIS bounds text) and how much they draw."""

import numpy as np
import pytest

from isingbio import IsingModel, ais, sample
from isingbio.errors import InputError
from isingbio.plot import check_figure_format, plot_ais, plot_traces


def _texts(fig):
    out = []
    for ax in fig.axes:
        out += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()] + [t.get_text() for t in ax.texts]
    return out


@pytest.fixture
def captured(monkeypatch):
    """The figure each plot function draws, instead of a file."""
    figs = []

    def keep(fig, path, dpi=120):
        figs.append(fig)
        return str(path)

    monkeypatch.setattr("isingbio.plot.save_figure", keep)
    return figs


@pytest.mark.filterwarnings("ignore::isingbio.errors.SamplingWarning")  # a tiny run on purpose
def test_ais_figure_says_which_bound_is_which(captured):
    res = ais(IsingModel.lattice((4, 4)), 0.44, n_chains=8, n_steps=20, bidirectional=True, seed=1)
    for forward, reverse in ((1.0, 2.0), (2.0, 1.0)):  # in order, then crossing
        res.log_z_forward, res.log_z_reverse, res.gap = forward, reverse, reverse - forward
        plot_ais(res, "x.png")
        texts = " | ".join(_texts(captured[-1]))
        assert "beta_coupling" not in texts and "log mean exp" not in texts
        assert "inverse temperature along the annealing path" in texts
        if forward < reverse:
            assert "bounds [1.00000, 2.00000]" in texts
        else:
            assert "forward 2.00000 above reverse 1.00000: the bounds cross" in texts
            assert "bounds [" not in texts


def test_traces_are_thinned_not_a_solid_block(captured):
    res = sample(IsingModel.lattice((4, 4)), 0.4, 5000, burn_in=0, n_chains=2, seed=1)
    plot_traces(res, "t.png", max_points=1000)
    fig = captured[-1]
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2 and all(len(line.get_xdata()) == 1000 for line in lines)
    assert "every 5th record shown" in fig.axes[0].get_title()
    np.testing.assert_array_equal(lines[0].get_ydata(), res.energy[0][::5] / res.n_sites)


def test_figure_format_checked_without_pyplot():
    import subprocess
    import sys

    check_figure_format("a.svg")
    check_figure_format("noextension")  # PNG
    with pytest.raises(InputError, match="unknown figure format 'xyz'"):
        check_figure_format("a.xyz")
    code = (
        "import sys; from isingbio.plot import check_figure_format; check_figure_format('a.pdf'); "
        "sys.exit('matplotlib.pyplot' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_plot_tempering(tmp_path):
    from isingbio.plot import plot_tempering

    t = np.array([1.5, 2.0, 2.5])
    table = {"energy": np.array([[-1.9, 0.01], [-1.7, 0.02], [-1.2, 0.02]]), "specific_heat": np.ones((3, 2))}
    out = plot_tempering(t, table, [0.5, 0.6], tmp_path / "pt.png", title="x")
    assert (tmp_path / "pt.png").stat().st_size > 1000 and out.endswith("pt.png")
    with pytest.raises(InputError, match="one per neighbouring pair"):
        plot_tempering(t, table, [0.5], tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()
