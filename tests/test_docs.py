"""The configuration documentation stays complete: every setting (and every variable the web app's server reads)
is in .env.example and the README."""

from __future__ import annotations

from scrapeflow.cli import REPO_ROOT
from scrapeflow.config import WEB_APP_VARIABLES, Settings

DOCUMENTED = {name.upper() for name in Settings.model_fields} | set(WEB_APP_VARIABLES)


def documented_names(text: str) -> set[str]:
    return {line.split("=", 1)[0].strip() for line in text.splitlines() if "=" in line and not line.startswith("#")}


def test_env_example_lists_every_setting() -> None:
    assert documented_names((REPO_ROOT / ".env.example").read_text()) == DOCUMENTED


def test_readme_configuration_table_lists_every_setting() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    missing = sorted(name for name in DOCUMENTED if f"`{name}`" not in readme)
    assert missing == []


def test_the_web_apps_variables_are_the_ones_it_reads() -> None:
    sources = "\n".join(path.read_text() for path in (REPO_ROOT / "frontend" / "src").rglob("*.ts"))
    assert sorted(name for name in WEB_APP_VARIABLES if f"process.env.{name}" not in sources) == []
