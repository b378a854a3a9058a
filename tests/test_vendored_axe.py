"""The axe-core that e2e/test_accessibility.py injects is npm's copy of the version package.json
pins (`make axe` refreshes it, `make axe-check` in CI compares it byte for byte), with its licences."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDORED = ROOT / "e2e" / "vendor" / "axe-core"


def test_the_vendored_axe_core_is_the_version_package_json_pins():
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["axe-core"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/axe-core"]["version"]
    banner = (VENDORED / "axe.min.js").read_text(encoding="utf-8")[:100]
    assert (banner.splitlines()[0], locked) == (f"/*! axe v{pinned}", pinned)


def test_the_vendored_axe_core_comes_with_its_licences():
    assert "Mozilla Public License, version 2.0" in (VENDORED / "LICENSE").read_text()
    assert "MIT License" in (VENDORED / "LICENSE-3RD-PARTY.txt").read_text()
