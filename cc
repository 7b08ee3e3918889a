#!/usr/bin/env python3
"""Bootstrap on a machine that has only Python 3.11+: `./cc dev` runs everything, `./cc test` tests.

On first use (and whenever pyproject.toml changes) it creates .venv and installs contactcenter with
its dev extra there; then it runs the command inside that environment:

    ./cc dev           contactcenter dev: embedded PostgreSQL/Redis unless CC_* URLs are set
    ./cc test [ARGS]   the whole test suite (pytest ARGS)
    ./cc lint          ruff and mypy
    ./cc <anything>    contactcenter <anything>, e.g. ./cc users add me@x.io --role admin
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".cc-installed"


def ensure_env() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"contactcenter needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("creating .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    print("installing contactcenter and its dev tools into .venv …", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def ensure_browser() -> None:
    """The browser tests drive Chromium: the system's (Debian: apt-get install chromium), else
    Playwright's own, downloaded once into ~/.cache/ms-playwright."""
    import shutil

    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    print("no chromium on PATH: fetching Playwright's Chromium for the browser tests …", flush=True)
    subprocess.run([str(BIN / "python"), "-m", "playwright", "install", "chromium"], check=False)


def main() -> int:
    args = sys.argv[1:] or ["--help"]
    ensure_env()
    os.chdir(ROOT)
    if args[0] == "test":
        ensure_browser()
        command = [str(BIN / "python"), "-m", "pytest", *args[1:]]
    elif args[0] == "lint":
        ruff = str(BIN / "ruff")
        lint = subprocess.run([ruff, "check", "."]).returncode
        fmt = subprocess.run([ruff, "format", "--check", "."]).returncode
        types = subprocess.run([str(BIN / "mypy")]).returncode
        return lint or fmt or types
    else:
        command = [str(BIN / "contactcenter"), *args]
    os.execv(command[0], command)  # noqa: S606 - replaces this process with the command
    return 0


if __name__ == "__main__":
    sys.exit(main())
