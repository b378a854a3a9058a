"""Make sure the end-to-end tests have a Chromium to drive, or say exactly how to get one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

SYSTEM_CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def main() -> int:
    if os.path.exists(SYSTEM_CHROMIUM):
        return 0
    print(f"No Chromium at {SYSTEM_CHROMIUM}; trying Playwright's own browser download…", flush=True)
    result = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], check=False)
    if result.returncode == 0:
        return 0
    apt = "sudo apt-get install chromium" if shutil.which("apt-get") else "your package manager's chromium"
    print(
        "\nThe end-to-end tests need Chromium and none could be installed automatically.\n"
        f"Install it with:  {apt}\n"
        "or point CHROMIUM_PATH at an existing Chromium/Chrome binary, then run `make test` again.\n"
        "(`make test-fast` runs everything except the browser tests.)",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
