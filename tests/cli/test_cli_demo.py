"""``isingbio demo``: what its help and messages say (the run itself is the Quick start)."""

import pytest

from isingbio.cli import main
from isingbio.errors import InputError


def test_demo_help_gives_its_fixed_default_seed(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "default 2026" in text and "fresh entropy" not in text


@pytest.mark.parametrize("argv, lead", [(["--example"], "using"), ([], "no ALIGNMENT given: using")])
def test_contacts_example_message(monkeypatch, capsys, argv, lead):
    def stop(*args, **kwargs):
        raise InputError("stopped here by the test")

    monkeypatch.setattr("isingbio.weights.sequence_weights", stop)
    assert main(["contacts", *argv, "--quiet"]) == 2
    out = capsys.readouterr().out
    assert out.startswith(f"{lead} the built-in example family PF00014")
