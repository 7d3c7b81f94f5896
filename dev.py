#!/usr/bin/env python3
"""The two commands of the README, with nothing but Python 3.11+ installed.

    python3 dev.py run    # venv, install, migrate, demo data, serve on http://127.0.0.1:8000
    python3 dev.py run 8001            # ... on another port (or 0.0.0.0:8001)
    python3 dev.py test   # venv, install (and Debian's chromium and promtool), run the test suite

Standard library only: it has to work before anything is installed.
"""

import ctypes.util
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("VIRTUAL_ENV_DIR", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".installed-from"


def say(message: str) -> None:
    print(f"\033[1;32m==>\033[0m {message}", flush=True)


def sh(*args, env=None) -> None:
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True, env=env)


def check_system_libraries() -> None:
    """WeasyPrint (the CMA PDFs) needs Pango from the operating system, not from PyPI."""
    if ctypes.util.find_library("pango-1.0") and ctypes.util.find_library("pangoft2-1.0"):
        return
    sys.exit(
        "The CMA PDFs need the Pango library. Install it, then run this again:\n"
        "  Debian/Ubuntu: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0\n"
        "  macOS:         brew install pango"
    )


CHROMIUM = Path("/usr/bin/chromium")


# Wait for another apt-get (a second checkout setting up at the same time) instead of failing.
APT_GET = ("apt-get", "-o", "DPkg::Lock::Timeout=600")


def ensure_chromium() -> None:
    """The browser tests drive Debian's Chromium; as root, install it with apt-get if missing."""
    if CHROMIUM.exists():
        return
    can_install = hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get")
    if not can_install:
        sys.exit(
            f"The browser tests need Chromium at {CHROMIUM} (Playwright drives it; it downloads "
            "no browser). Install it, then run this again:\n"
            "  Debian/Ubuntu: sudo apt-get install chromium"
        )
    say("Installing Debian's chromium for the browser tests (apt-get)")
    apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sh(*APT_GET, "update", "-qq", env=apt)
    sh(*APT_GET, "install", "-y", "-qq", "--no-install-recommends", "chromium", env=apt)
    if not CHROMIUM.exists():
        sys.exit(f"apt-get installed chromium, but {CHROMIUM} is still missing.")


def ensure_promtool() -> None:
    """The alert-rule test checks deploy/prometheus/ with promtool from Debian's prometheus
    package; as root, install it if missing. Never fatal: without it the test parses the rules."""
    if shutil.which("promtool"):
        return
    if not (hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get")):
        say("No promtool (Debian: apt-get install prometheus): the alert rules are parsed instead")
        return
    say("Installing Debian's prometheus for promtool, which checks the alert rules (apt-get)")
    apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = (*APT_GET, "install", "-y", "-qq", "--no-install-recommends", "prometheus")
    try:
        sh(*install, env=apt)
    except subprocess.CalledProcessError:
        try:  # the package lists may be missing or stale
            sh(*APT_GET, "update", "-qq", env=apt)
            sh(*install, env=apt)
        except subprocess.CalledProcessError:
            say("apt-get could not install prometheus: the alert rules are parsed instead")


def ensure_environment() -> None:
    """Create .venv and install the project with its dev extras at the reviewed versions, once
    per change of pyproject.toml or constraints.txt."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    check_system_libraries()
    if not PYTHON.exists():
        say(f"Creating the virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    # The reviewed versions (constraints.txt; docs/security.md, "Dependencies") count too.
    pinned = (ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes()
    fingerprint = hashlib.sha256(pinned).hexdigest()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    say("Installing dependencies (first run takes a minute)")
    sh(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    sh(
        PYTHON,
        "-m",
        "pip",
        "install",
        "--quiet",
        "-e",
        ".[dev]",
        "-c",
        str(ROOT / "constraints.txt"),
    )
    STAMP.write_text(fingerprint)


def backend_summary() -> str:
    database = os.environ.get("DATABASE_URL", "").split("@")[-1] or "SQLite (embedded)"
    redis = os.environ.get("REDIS_URL", "").split("@")[-1]
    if redis:
        return f"database: {database} · cache/broker/channels: {redis}"
    return f"database: {database} · cache/broker: local memory · channels: a shared SQLite file (embedded)"


DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000
# With no address given and port 8000 taken (another app), the next free one of these.
SPARE_PORTS = range(8001, 8020)


def parse_address(address: str) -> tuple[str, int]:
    """runserver's forms: "8001", "0.0.0.0:8001", "localhost:8001", "[::1]:8001"."""
    host, _, port = address.rpartition(":")
    if not port.isdigit():
        sys.exit(f"Not an address to serve on: {address!r} (e.g. 8001 or 0.0.0.0:8001).")
    return (host.strip("[]") or DEFAULT_HOST), int(port)


def browser_url(host: str, port: int) -> str:
    """The address a browser on this machine opens for a server bound to ``host``."""
    if host in ("0.0.0.0", ""):  # noqa: S104 - every interface: this machine is one of them
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def serving_address(extra: list[str]) -> tuple[str, str]:
    """Where to serve (runserver's argument) and the URL a browser opens there."""
    if extra:
        host, port = parse_address(extra[0])
        if not port_is_free(host, port):
            sys.exit(f"{extra[0]} is already in use: give another address, e.g. 8001.")
    else:
        host, port = DEFAULT_HOST, DEFAULT_PORT
        if not port_is_free(host, port):
            spare = next((p for p in SPARE_PORTS if port_is_free(host, p)), None)
            if spare is None:
                sys.exit("Ports 8000-8019 are all in use: give an address, e.g. 9000.")
            say(f"Port {port} is in use (another app?): serving on {spare} instead")
            port = spare
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return bind, browser_url(host, port)


def configured_site_url() -> str:
    """SITE_URL as the environment or .env sets it ("" when neither does)."""
    if os.environ.get("SITE_URL"):
        return os.environ["SITE_URL"]
    dotenv = ROOT / ".env"
    if dotenv.exists():
        for line in dotenv.read_text().splitlines():
            name, _, value = line.strip().partition("=")
            if name.strip() == "SITE_URL" and value.strip().strip("\"'"):
                return value.strip().strip("\"'")
    return ""


def run(extra: list[str]) -> None:
    ensure_environment()
    address, url = serving_address(extra)
    env = dict(os.environ)
    site_url = configured_site_url()
    if not site_url:
        # Links to this site (emails, CMA and listing links, the login line) use the address
        # actually served, not a fixed :8000.
        env["SITE_URL"] = site_url = url
    manage = [PYTHON, "manage.py"]
    say(f"Migrating ({backend_summary()})")
    sh(*manage, "migrate", "--no-input", env=env)
    sh(*manage, "collectstatic", "--no-input", "--verbosity", "0", env=env)
    say("Loading the demo data")
    sh(*manage, "seed_demo", env=env)
    if site_url.rstrip("/") != url:
        say(f"Links sent to leads use SITE_URL={site_url} (as configured)")
    scheduler = None
    if not os.environ.get("REDIS_URL"):
        # No broker, so no Celery beat: run the periodic tasks (deferred sends, follow-ups) here.
        scheduler = subprocess.Popen([str(PYTHON), "manage.py", "run_scheduler"], cwd=ROOT, env=env)
    say(f"Serving HTTP and WebSocket on {url}/  (Ctrl-C to stop)")
    try:
        subprocess.run(
            [str(PYTHON), "manage.py", "runserver", address, "--noreload"],
            cwd=ROOT,
            check=False,
            env=env,
        )
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler is not None:
            scheduler.terminate()


def test(extra: list[str]) -> None:
    ensure_environment()
    ensure_chromium()
    ensure_promtool()
    say(f"Running the test suite ({backend_summary()})")
    result = subprocess.run([str(PYTHON), "-m", "pytest", *extra], cwd=ROOT, check=False)
    sys.exit(result.returncode)


COMMANDS = {"run": run, "test": test}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
