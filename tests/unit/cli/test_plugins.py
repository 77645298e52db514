"""The lab is a plugin: the product neither imports it nor depends on what it needs."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.helpers import REPO, run_cli


def test_the_product_install_pulls_in_none_of_the_labs_dependencies() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    product = " ".join(project["dependencies"]).lower()
    lab = project["optional-dependencies"]["lab"]
    assert lab, "the lab extra lists the lab's dependencies"
    for requirement in lab:
        name = requirement.split(">")[0].split("=")[0].split("[")[0].strip().lower()
        assert name not in product, f"{name} is a lab dependency and must not be one of the product's"
    assert project["entry-points"]["otcctl.commands"]["lab"] == "otcctl_lab.cli:lab_app"


def test_help_lists_the_lab_without_loading_it() -> None:
    done = run_cli("--help")
    assert done.returncode == 0 and "lab" in done.stdout and "rehearsal" in done.stdout


def test_without_the_lab_package_otcctl_lab_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **_: [])
    done = run_cli("lab", "up", "--dir", str(Path("/nonexistent")), child=False)
    assert done.returncode == 1
    assert "pip install 'otcctl[lab]'" in done.stderr and "Traceback" not in done.stderr
