"""dev.py gets Debian's Chromium for the browser tests, or says how to."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dev(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "CHROMIUM", tmp_path / "chromium")  # missing
    return module


def test_without_chromium_and_not_root_it_says_how_to_install_it(dev, monkeypatch):
    monkeypatch.setattr(dev.os, "geteuid", lambda: 1000)

    with pytest.raises(SystemExit) as stop:
        dev.ensure_chromium()

    assert "sudo apt-get install chromium" in str(stop.value)
    assert "downloads no browser" in str(stop.value)


def test_as_root_it_installs_debians_chromium_without_questions(dev, monkeypatch):
    commands = []

    def apt(*args, env=None):
        commands.append((args, env["DEBIAN_FRONTEND"]))
        dev.CHROMIUM.write_text("#!/bin/sh\n")  # what the package would put there

    monkeypatch.setattr(dev.os, "geteuid", lambda: 0)
    monkeypatch.setattr(dev.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(dev, "sh", apt)

    dev.ensure_chromium()

    assert commands == [
        (("apt-get", "update", "-qq"), "noninteractive"),
        (
            ("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"),
            "noninteractive",
        ),
    ]


def test_with_chromium_present_it_does_nothing(dev, monkeypatch):
    dev.CHROMIUM.write_text("#!/bin/sh\n")
    monkeypatch.setattr(dev, "sh", lambda *a, **k: pytest.fail("nothing to install"))

    dev.ensure_chromium()
