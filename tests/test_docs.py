"""The configuration documentation stays complete: every setting is in .env.example and the README."""

from __future__ import annotations

from scrapeflow.cli import REPO_ROOT
from scrapeflow.config import Settings


def documented_names(text: str) -> set[str]:
    return {line.split("=", 1)[0].strip() for line in text.splitlines() if "=" in line and not line.startswith("#")}


def test_env_example_lists_every_setting() -> None:
    expected = {name.upper() for name in Settings.model_fields}
    assert documented_names((REPO_ROOT / ".env.example").read_text()) == expected


def test_readme_configuration_table_lists_every_setting() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in readme]
    assert missing == []
