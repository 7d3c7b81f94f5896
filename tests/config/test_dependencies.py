"""Every package the project installs runs at a reviewed version: constraints.txt pins each one
(dev.py and the Dockerfile install with it), so a new or upgraded package fails here until
someone has reviewed it and listed it (docs/security.md, "Dependencies")."""

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "jorge-platform"


def _pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)", line).groups()
            pins[canonicalize_name(name)] = version
    return pins


def _installed_for_the_project() -> dict[str, str]:
    """The project with its dev extra and everything those require, transitively (markers
    evaluated here), each with the version installed."""
    found: dict[str, str] = {}
    todo = [(PROJECT, {"dev"})]
    while todo:
        name, extras = todo.pop()
        dist = metadata.distribution(name)
        key = canonicalize_name(dist.metadata["Name"])
        if key != canonicalize_name(PROJECT):
            found[key] = dist.version
        for text in dist.requires or []:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker and not any(marker.evaluate({"extra": e}) for e in extras or {""}):
                continue
            wanted = canonicalize_name(requirement.name)
            if wanted not in found or requirement.extras:
                todo.append((requirement.name, set(requirement.extras)))
    return found


def test_every_package_the_project_installs_is_pinned_at_its_reviewed_version():
    pinned = _pinned()
    unreviewed = {
        name: version
        for name, version in _installed_for_the_project().items()
        if pinned.get(name) != version
    }

    assert unreviewed == {}, (
        "installed but not reviewed (or not at the reviewed version): review, then update "
        "constraints.txt as its header says"
    )


def test_no_pin_is_left_for_a_package_the_project_no_longer_installs():
    assert set(_pinned()) - set(_installed_for_the_project()) == set()


def test_dev_py_and_the_dockerfile_install_with_the_pins():
    dev_py = "".join((ROOT / "dev.py").read_text().split())  # the call, whatever its layout
    assert '"install","--quiet","-e",".[dev]","-c",str(ROOT/"constraints.txt")' in dev_py
    assert "pip install -c constraints.txt ." in (ROOT / "Dockerfile").read_text()
