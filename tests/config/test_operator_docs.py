"""Every command in the operator's book (docs/deployment.md, docs/troubleshooting.md) is run or
checked here, so none of them rots; and .env.example names exactly what the settings read.

What is run where (docs/deployment.md says the same): ``manage.py`` commands run for real on
the test database; ``docker compose`` is not installed on the development and CI machines, so
the services each command names must be in docker-compose.yml (and ``docker compose config``
runs where compose is installed); pg_dump and pg_restore run for real with the documented flags
when the suite runs on PostgreSQL, and on SQLite each flag must be one their --help lists;
celery commands need a broker, so Celery parses them (--help); curl lines go through Django's
test client.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml
from django.core.management import ManagementUtility, call_command
from django.db import connection

from tests.leads.factories import ContactFactory

ROOT = Path(__file__).resolve().parents[2]
BOOK = [
    ROOT / "docs" / page
    for page in ("deployment.md", "troubleshooting.md", "monitoring.md", "security.md")
]
SERVICES = set(yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"])
# manage.py commands that wait for input or run until stopped: their syntax is checked.
NOT_RUN = {"createsuperuser"}
# docker compose options that take a value.
VALUED = {"--since", "--scale", "-f", "--file", "--project-name", "-p", "--tail"}
# docker compose's own options before the subcommand, each with a value.
GLOBAL = {"--profile", "-f", "--file", "-p", "--project-name", "--env-file"}


def console_commands(path: Path) -> list[str]:
    """The ``$ `` lines of the ```console blocks of a page."""
    blocks = re.findall(r"```console\n(.*?)```", path.read_text(), re.S)
    return [
        line[2:].strip() for block in blocks for line in block.splitlines() if line.startswith("$ ")
    ]


COMMANDS = [command for page in BOOK for command in console_commands(page)]


def split(command: str) -> list[str]:
    # A shell substitution ($(date +%F)) is one word here: only the services around it matter.
    return shlex.split(re.sub(r"\$\([^)]*\)", "SUBSTITUTED", command))


def compose_parts(argv: list[str]) -> tuple[str, set[str], list[str]]:
    """(subcommand, services named, the command run in a service) of a docker compose line."""
    at = 2
    while argv[at] in GLOBAL:  # docker compose --profile monitoring up …
        at += 2
    subcommand, rest = argv[at], argv[at + 1 :]
    services, inner, i = set(), [], 0
    while i < len(rest):
        token = rest[i]
        if token in VALUED:
            if token == "--scale":
                services.add(rest[i + 1].split("=")[0])
            i += 2
            continue
        if token.startswith("-"):
            i += 1
            continue
        if subcommand in ("exec", "run"):
            services.add(token)
            inner = rest[i + 1 :]
            break
        if subcommand == "cp":
            services |= {part.split(":")[0] for part in rest[i:] if ":" in part}
            break
        services.add(token)
        i += 1
    return subcommand, services, inner


def manage_py(argv: list[str]) -> list[str] | None:
    """The arguments after ``manage.py`` when the line runs one, else None."""
    if argv[:2] == ["python", "manage.py"]:
        return argv[2:]
    return None


def test_the_book_has_commands_and_eight_failure_modes_at_least():
    assert len(COMMANDS) >= 20
    failure_modes = re.findall(r"^## \d+\. ", (ROOT / "docs/troubleshooting.md").read_text(), re.M)
    assert len(failure_modes) >= 8


KINDS = ("docker compose", "python manage.py", "celery", "curl", "python -c", "promtool")


def test_every_command_is_of_a_kind_a_test_runs_or_checks():
    # A command no test below knows would rot unseen.
    unknown = [c for c in COMMANDS if not c.startswith(KINDS)]
    assert not unknown


def test_every_promtool_line_passes_where_promtool_is_installed():
    lines = [split(c) for c in COMMANDS if c.startswith("promtool ")]
    assert lines
    for argv in lines:
        # The files it names exist; promtool itself runs where dev.py test could install it.
        assert all((ROOT / a).exists() for a in argv if "/" in a), argv
        if shutil.which("promtool"):
            subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)


def test_every_docker_compose_line_names_services_that_exist():
    for command in COMMANDS:
        argv = split(command)
        if argv[:2] != ["docker", "compose"]:
            continue
        subcommand, services, inner = compose_parts(argv)
        assert subcommand in {"build", "up", "run", "exec", "ps", "logs", "restart", "stop", "cp"}
        assert services <= SERVICES, command
        if subcommand in ("run", "exec") and inner:
            assert inner[0] in {"python", "pg_dump", "pg_restore", "pg_isready"}, command
    if compose_installed():
        env = {**os.environ, "POSTGRES_PASSWORD": "check-only"}
        subprocess.run(["docker", "compose", "config", "--quiet"], cwd=ROOT, env=env, check=True)  # noqa: S607


def compose_installed() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0  # noqa: S607


def _manage_commands() -> list[list[str]]:
    found = []
    for command in COMMANDS:
        argv = split(command)
        if argv[:2] == ["docker", "compose"]:
            argv = compose_parts(argv)[2]
        args = manage_py(argv) if argv else None
        if args is not None:
            found.append(args)
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("args", _manage_commands(), ids=" ".join)
def test_every_manage_py_command_runs_on_the_test_database(args, capsys):
    if args[0] in NOT_RUN:
        with pytest.raises(SystemExit) as exited:
            ManagementUtility(["manage.py", args[0], "--help"]).execute()
        assert exited.value.code == 0
        return
    call_command(*args)


def test_every_celery_command_is_one_celery_knows():
    for command in COMMANDS:
        argv = split(command)
        if argv[0] != "celery":
            continue
        finished = subprocess.run(
            [sys.executable, "-m", "celery", *argv[1:], "--help"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert finished.returncode == 0, (command, finished.stderr)


@pytest.mark.django_db
def test_every_curl_line_answers(client):
    curls = [split(c) for c in COMMANDS if c.startswith("curl ")]
    assert curls
    for argv in curls:
        path = re.sub(r"^https?://[^/]+", "", argv[-1])
        assert client.get(path).status_code == 200, argv


def test_every_python_one_liner_runs():
    for command in COMMANDS:
        argv = split(command)
        if argv[:2] == ["python", "-c"]:
            finished = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True)
            assert finished.returncode == 0 and len(finished.stdout.strip()) >= 50


def _postgres_tool(name: str) -> list[str]:
    (argv,) = [
        compose_parts(split(c))[2]
        for c in COMMANDS
        if c.startswith("docker compose exec") and f" {name} " in c
    ]
    return argv


def _with(argv: list[str], **values: str) -> list[str]:
    """``argv`` with the values of these options replaced (``dbname`` → ``--dbname``)."""
    out = list(argv)
    for option, value in values.items():
        out[out.index(f"--{option}") + 1] = value
    return out


def check_backup_flags() -> None:
    """On SQLite: each documented flag is one the installed pg_dump / pg_restore lists."""
    for tool in ("pg_dump", "pg_restore"):
        assert shutil.which(tool), f"{tool} is needed to check the backup commands"
        help_text = subprocess.run([tool, "--help"], capture_output=True, text=True).stdout
        for flag in (a for a in _postgres_tool(tool) if a.startswith("--")):
            assert flag in help_text, (tool, flag)


@pytest.mark.django_db(transaction=True)
def test_the_backup_and_restore_commands_bring_the_data_back(tmp_path):
    if connection.vendor != "postgresql":
        check_backup_flags()
        return
    ContactFactory(first_name="Backed", last_name="Up")
    db = connection.settings_dict
    env = {
        **os.environ,
        "PGHOST": db["HOST"] or "localhost",
        "PGPORT": str(db["PORT"] or 5432),
        "PGPASSWORD": db["PASSWORD"] or "",
    }
    dump = str(tmp_path / "jorge.dump")
    user = db["USER"] or "postgres"
    copy = f"{db['NAME']}_restore"
    admin = psycopg.connect(
        dbname=db["NAME"],
        user=user,
        host=env["PGHOST"],
        port=env["PGPORT"],
        password=db["PASSWORD"],
        autocommit=True,
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{copy}"')
    admin.execute(f'CREATE DATABASE "{copy}"')
    try:
        pg_dump = _with(_postgres_tool("pg_dump"), username=user, dbname=db["NAME"], file=dump)
        subprocess.run(pg_dump, env=env, check=True)
        pg_restore = _with(_postgres_tool("pg_restore"), username=user, dbname=copy)
        pg_restore[-1] = dump
        subprocess.run(pg_restore, env=env, check=True)
        with psycopg.connect(
            dbname=copy, user=user, host=env["PGHOST"], port=env["PGPORT"], password=db["PASSWORD"]
        ) as restored:
            names = restored.execute("SELECT first_name, last_name FROM leads_contact").fetchall()
        assert names == [("Backed", "Up")]
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        admin.close()


def test_env_example_names_every_variable_the_settings_read_and_no_other():
    read = set()
    for path in (ROOT / "config" / "settings").glob("*.py"):
        read |= set(re.findall(r'\benv(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"', path.read_text()))
    example = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    compose = (ROOT / "docker-compose.yml").read_text()
    # Read by Django's manage.py and wsgi/asgi, by prometheus_client itself (its multiprocess
    # directory), and by docker compose, not by the settings.
    outside = {"DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR"} | {
        name for name in example if f"${{{name}" in compose
    }

    assert read - example == set(), "read by config/settings but missing from .env.example"
    assert example - read - outside == set(), "in .env.example but read by nothing"
