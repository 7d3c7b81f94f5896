"""dev.py gets Debian's Chromium for the browser tests, or says how to; ``dev.py run`` serves
on a free address and every link (the login line, emails, CMA pages) uses that address."""

import importlib.util
import socket
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

    # It waits for another apt-get's lock (a second checkout setting up) instead of failing.
    wait = ("apt-get", "-o", "DPkg::Lock::Timeout=600")
    assert commands == [
        ((*wait, "update", "-qq"), "noninteractive"),
        ((*wait, "install", "-y", "-qq", "--no-install-recommends", "chromium"), "noninteractive"),
    ]


def test_with_chromium_present_it_does_nothing(dev, monkeypatch):
    dev.CHROMIUM.write_text("#!/bin/sh\n")
    monkeypatch.setattr(dev, "sh", lambda *a, **k: pytest.fail("nothing to install"))

    dev.ensure_chromium()


# --- dev.py run: the address actually served, in every link ----------------------------------


class Launch:
    """What ``dev.py run`` would start: each command with the SITE_URL it would get."""

    def __init__(self, dev, monkeypatch, tmp_path):
        self.commands: list[tuple[list[str], str]] = []
        monkeypatch.setattr(dev, "ROOT", tmp_path)  # no .env of the developer's
        monkeypatch.setattr(dev, "ensure_environment", lambda: None)
        monkeypatch.setattr(dev, "sh", lambda *args, env=None: self._record(args, env))
        monkeypatch.setattr(dev.subprocess, "Popen", lambda args, **kw: self._started(args, kw))
        monkeypatch.setattr(dev.subprocess, "run", lambda args, **kw: self._record(args, kw["env"]))
        monkeypatch.delenv("SITE_URL", raising=False)
        monkeypatch.delenv("REDIS_URL", raising=False)

    def _record(self, args, env):
        self.commands.append(([str(a) for a in args], env.get("SITE_URL")))

    def _started(self, args, kw):
        self._record(args, kw["env"])
        return type("Process", (), {"terminate": lambda self: None})()

    def site_url_of(self, command: str) -> str:
        return next(url for args, url in self.commands if command in args)

    def runserver_address(self) -> str:
        args = next(args for args, _ in self.commands if "runserver" in args)
        return args[args.index("runserver") + 1]


@pytest.fixture
def launch(dev, monkeypatch, tmp_path):
    return Launch(dev, monkeypatch, tmp_path)


def test_with_port_8000_taken_it_serves_on_the_next_free_port_and_every_link_says_so(
    dev, launch, monkeypatch, capsys
):
    monkeypatch.setattr(dev, "port_is_free", lambda host, port: port != 8000)

    dev.run([])

    assert launch.runserver_address() == "127.0.0.1:8001"
    for command in ["seed_demo", "run_scheduler", "runserver"]:  # the login line, emails, CMAs
        assert launch.site_url_of(command) == "http://127.0.0.1:8001"
    assert "Serving HTTP and WebSocket on http://127.0.0.1:8001/" in capsys.readouterr().out


def test_an_address_given_is_served_and_linked_as_a_browser_here_opens_it(dev, launch, monkeypatch):
    monkeypatch.setattr(dev, "port_is_free", lambda host, port: True)

    dev.run(["0.0.0.0:9000"])

    assert launch.runserver_address() == "0.0.0.0:9000"
    assert launch.site_url_of("seed_demo") == "http://127.0.0.1:9000"


def test_a_port_alone_is_served_on_this_machine(dev, launch, monkeypatch):
    monkeypatch.setattr(dev, "port_is_free", lambda host, port: True)

    dev.run(["8123"])

    assert launch.runserver_address() == "127.0.0.1:8123"
    assert launch.site_url_of("runserver") == "http://127.0.0.1:8123"


def test_a_site_url_someone_configured_is_left_as_it_is(dev, launch, monkeypatch, tmp_path):
    monkeypatch.setattr(dev, "port_is_free", lambda host, port: True)
    (tmp_path / ".env").write_text("SITE_URL=https://jorge.example.com\n")

    dev.run([])

    assert launch.site_url_of("seed_demo") is None  # not overridden: .env's value applies
    assert launch.site_url_of("runserver") is None


def test_an_address_already_in_use_is_refused_with_a_clear_message(dev):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(SystemExit) as stop:
            dev.serving_address([str(port)])

    assert f"{port} is already in use" in str(stop.value)


def test_as_root_it_installs_debians_prometheus_for_promtool(dev, monkeypatch):
    commands = []
    monkeypatch.setattr(dev.os, "geteuid", lambda: 0)
    monkeypatch.setattr(dev.shutil, "which", lambda name: None if name == "promtool" else name)
    monkeypatch.setattr(dev, "sh", lambda *args, env=None: commands.append(args))

    dev.ensure_promtool()

    assert commands == [
        (*dev.APT_GET, "install", "-y", "-qq", "--no-install-recommends", "prometheus")
    ]


def test_when_apt_cannot_install_promtool_the_tests_still_run(dev, monkeypatch, capsys):
    def fail(*args, env=None):
        raise dev.subprocess.CalledProcessError(100, args)

    monkeypatch.setattr(dev.os, "geteuid", lambda: 0)
    monkeypatch.setattr(dev.shutil, "which", lambda name: None if name == "promtool" else name)
    monkeypatch.setattr(dev, "sh", fail)

    dev.ensure_promtool()  # no SystemExit

    assert "the alert rules are parsed instead" in capsys.readouterr().out
