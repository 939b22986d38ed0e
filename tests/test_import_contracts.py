"""The import contracts of pyproject.toml (`[tool.importlinter]`) hold, and they bite.

The real tree must pass `lint-imports`. To show a contract fails when it should, the four
apps' modules are copied into a temporary directory, one forbidden import is added to the
copy, and `lint-imports` runs there with the contracts read from the real pyproject.toml:
the real tree is never touched.
"""

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("portal", "applications", "review", "compliance")
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _contracts() -> dict[str, Any]:
    """The `[tool.importlinter]` table of the project's pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["tool"]["importlinter"]


def _contract_name(contract_id: str) -> str:
    return next(c["name"] for c in _contracts()["contracts"] if c["id"] == contract_id)


def _write_config(path: Path, config: dict[str, Any]) -> None:
    """Write the contracts as TOML. Their values are strings, lists of strings and
    booleans, which JSON writes exactly as TOML does."""
    lines = ["[tool.importlinter]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in config.items() if key != "contracts"]
    for contract in config["contracts"]:
        lines += ["", "[[tool.importlinter.contracts]]"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in contract.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _copy_apps(target: Path) -> None:
    for app in APPS:
        for source in (ROOT / app).rglob("*.py"):
            copy = target / source.relative_to(ROOT)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy)


def _lint_imports(*args: str, cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--no-logo", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(pythonpath)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_real_tree_keeps_every_contract():
    result = _lint_imports(cwd=ROOT, pythonpath=ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden_import", "contract_id", "broken_by"),
    [
        # portal is the base: it imports none of the other apps.
        ("portal/__init__.py", "applications.models", "app-layers", "portal -> applications"),
        # A view reaches another app's data through that app's selectors, not its models.
        ("review/views.py", "applications.models", "review-views", "review.views -> applications"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path, module, forbidden_import, contract_id, broken_by
):
    _copy_apps(tmp_path)
    with (tmp_path / module).open("a", encoding="utf-8") as copy:
        copy.write(f"\nimport {forbidden_import}  # noqa\n")
    config = tmp_path / "contracts.toml"
    _write_config(config, _contracts())

    result = _lint_imports(str(config), cwd=tmp_path, pythonpath=tmp_path)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"{_contract_name(contract_id)} BROKEN" in " ".join(output.split())
    assert broken_by in output
