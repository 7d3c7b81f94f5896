#!/usr/bin/env python3
"""The two commands of the README, with nothing but Python 3.11+ installed.

    python3 dev.py run    # venv, install, migrate, demo data, serve on http://127.0.0.1:8000
    python3 dev.py test   # venv, install (and Debian's chromium), run the whole test suite

Standard library only: it has to work before anything is installed.
"""

import ctypes.util
import hashlib
import os
import shutil
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
    sh("apt-get", "update", "-qq", env=apt)
    sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", env=apt)
    if not CHROMIUM.exists():
        sys.exit(f"apt-get installed chromium, but {CHROMIUM} is still missing.")


def ensure_environment() -> None:
    """Create .venv and install the project with its dev extras, once per pyproject change."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    check_system_libraries()
    if not PYTHON.exists():
        say(f"Creating the virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    fingerprint = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    say("Installing dependencies (first run takes a minute)")
    sh(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    sh(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(fingerprint)


def backend_summary() -> str:
    database = os.environ.get("DATABASE_URL", "").split("@")[-1] or "SQLite (embedded)"
    redis = os.environ.get("REDIS_URL", "").split("@")[-1]
    if redis:
        return f"database: {database} · cache/broker/channels: {redis}"
    return f"database: {database} · cache/broker: local memory · channels: a shared SQLite file (embedded)"


def run(extra: list[str]) -> None:
    ensure_environment()
    manage = [PYTHON, "manage.py"]
    say(f"Migrating ({backend_summary()})")
    sh(*manage, "migrate", "--no-input")
    sh(*manage, "collectstatic", "--no-input", "--verbosity", "0")
    say("Loading the demo data")
    sh(*manage, "seed_demo")
    address = extra[0] if extra else "127.0.0.1:8000"
    scheduler = None
    if not os.environ.get("REDIS_URL"):
        # No broker, so no Celery beat: run the periodic tasks (deferred sends, follow-ups) here.
        scheduler = subprocess.Popen([str(PYTHON), "manage.py", "run_scheduler"], cwd=ROOT)
    say(f"Serving HTTP and WebSocket on http://{address}/  (Ctrl-C to stop)")
    try:
        subprocess.run(
            [str(PYTHON), "manage.py", "runserver", address, "--noreload"], cwd=ROOT, check=False
        )
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler is not None:
            scheduler.terminate()


def test(extra: list[str]) -> None:
    ensure_environment()
    ensure_chromium()
    say(f"Running the test suite ({backend_summary()})")
    result = subprocess.run([str(PYTHON), "-m", "pytest", *extra], cwd=ROOT, check=False)
    sys.exit(result.returncode)


COMMANDS = {"run": run, "test": test}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
