"""Open the report in headless Chromium: check that every image loads, take a screenshot.

Uses the Debian ``chromium`` package (``make setup`` installs it). The page
records after its ``load`` event how many images loaded
(``data-images-loaded`` / ``data-images-total`` on ``<html>``); ``--dump-dom``
returns the DOM after load, so no DevTools connection is needed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from lidendrite.errors import LidendriteError, ToolMissingError

__all__ = ["find_chromium", "chromium_args", "check_in_browser", "screenshot"]

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str:
    """Path of a Chromium/Chrome binary; :class:`ToolMissingError` if there is none."""
    for name in _NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise ToolMissingError("chromium not found; install it with `apt-get install -y chromium` (make setup does)")


def chromium_args(profile_dir: str | Path) -> list[str]:
    """Flags for a quiet, offline, sandbox-free headless run with its own profile folder."""
    return [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--no-first-run", "--no-default-browser-check",
        "--hide-scrollbars", "--allow-file-access-from-files",
        f"--user-data-dir={profile_dir}",
    ]


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LidendriteError(f"chromium did not finish within {timeout:g} s: {' '.join(args[:2])}") from None


def check_in_browser(html_file: str | Path, timeout: float = 120) -> dict[str, Any]:
    """Load ``html_file`` in headless Chromium; count images (total, loaded) and tables.

    Returns ``{"images_total", "images_loaded", "tables", "broken": [src, ...], "dom": str}``.
    """
    html_file = Path(html_file).resolve()
    if not html_file.is_file():
        raise LidendriteError(f"report not found: {html_file}")
    exe = find_chromium()
    with tempfile.TemporaryDirectory(prefix="lidendrite-chromium-") as prof:
        res = _run([exe, *chromium_args(prof), "--virtual-time-budget=10000", "--dump-dom",
                    html_file.as_uri()], timeout)
    dom = res.stdout
    if res.returncode != 0 or "<html" not in dom:
        tail = (res.stderr.strip().splitlines() or ["no output"])[-1]
        raise LidendriteError(f"chromium could not render {html_file}: {tail}")
    m_total = re.search(r'data-images-total="(\d+)"', dom)
    m_ok = re.search(r'data-images-loaded="(\d+)"', dom)
    broken = re.findall(r'<img[^>]*class="broken"[^>]*src="([^"]*)"|<img[^>]*src="([^"]*)"[^>]*class="broken"', dom)
    return {
        "images_total": int(m_total.group(1)) if m_total else None,
        "images_loaded": int(m_ok.group(1)) if m_ok else None,
        "tables": len(re.findall(r"<table\b", dom)),
        "broken": [a or b for a, b in broken],
        "dom": dom,
    }


def screenshot(html_file: str | Path, png: str | Path, width: int = 1280, height: int = 1600,
               timeout: float = 120) -> Path:
    """Screenshot of the top ``width`` x ``height`` pixels of the page as PNG."""
    html_file = Path(html_file).resolve()
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    exe = find_chromium()
    tmp = png.with_name(png.stem + ".tmp.png")
    with tempfile.TemporaryDirectory(prefix="lidendrite-chromium-") as prof:
        # without the compositor flag the capture can come before every tile is painted:
        # the lowest rows of the page showed only their first columns
        res = _run([exe, *chromium_args(prof), "--virtual-time-budget=10000",
                    "--run-all-compositor-stages-before-draw",
                    f"--window-size={int(width)},{int(height)}", f"--screenshot={tmp}",
                    html_file.as_uri()], timeout)
    if res.returncode != 0 or not tmp.is_file():
        tail = (res.stderr.strip().splitlines() or ["no output"])[-1]
        raise LidendriteError(f"chromium could not take a screenshot of {html_file}: {tail}")
    tmp.replace(png)
    return png
