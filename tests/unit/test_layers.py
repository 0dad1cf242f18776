"""The layer rules of pyproject.toml's import-linter contracts hold, and a breach is caught."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def lint(where: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the `bot` package found in `where` (it puts `where` first on the
    path), with the contracts of that folder's pyproject.toml."""
    return subprocess.run(
        [sys.executable, "-c", LINT, "--no-cache"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_code_keeps_its_layers() -> None:
    """Every contract is kept by the code as it is."""
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("bot/storage/db.py", "import aiogram", "never import aiogram"),
        ("bot/services/leads.py", "import bot.views.leads", "Services never import"),
        ("bot/parsing/dates.py", "import bot.storage.records", "Parsing imports nothing"),
        ("bot/views/clients.py", "import bot.storage.repositories", "Views read no database"),
        ("bot/scheduler/notify.py", "import bot.handlers.leads", "Only the app imports"),
        ("bot/handlers/leads.py", "import bot.handlers.clients", "Routers do not import"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    """A copy of the code with one forbidden import added fails the check, naming the rule."""
    shutil.copytree(ROOT / "bot", tmp_path / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = lint(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = [ln for ln in result.stdout.splitlines() if " BROKEN" in ln]
    assert any(contract in ln for ln in broken), result.stdout
