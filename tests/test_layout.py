"""Tripwires for the source layout (docs/ARCHITECTURE.md, "Layout")."""

import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_stdlib_platform_module_is_not_shadowed() -> None:
    assert platform.__file__.endswith("platform.py")
    assert platform.python_version().startswith("3.")


def test_platform_folder_is_a_source_root_not_a_package() -> None:
    assert not (ROOT / "platform" / "__init__.py").exists()
    assert (ROOT / "platform" / "accord" / "__init__.py").exists()
