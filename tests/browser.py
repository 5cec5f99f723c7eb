"""Debian's Chromium, headless, driven by playwright (which is given its path and downloads no browser)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs it as root (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    opened = await context.new_page()
    problems: list[str] = []
    opened.on("console", lambda m: problems.append(f"{m.text} {m.location}") if m.type == "error" else None)
    opened.on("pageerror", lambda e: problems.append(str(e)))
    try:
        yield opened
        assert not problems  # no CSP violation, script error or missing file
    finally:
        await context.close()
