"""The dashboard in a real browser: Debian's Chromium, headless, driven by
Playwright for Python (its driver from pip; the browser from apt, which
.ci/browser-check installs when it is missing)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright

import actors
from actors import dashboard

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOT_ENV = "ACTORS_DASHBOARD_SCREENSHOT"
"""Set to a path to keep the 1280x800 screenshot (docs/dashboard.png)."""


def published(page: Page, instance: str) -> int:
    return int(page.locator(f'tr[data-instance="{instance}"] td.published').inner_text())


def fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_the_page_is_live_and_its_control_works(app_system: Any, tmp_path: Path) -> None:
    assert shutil.which(CHROMIUM), f"{CHROMIUM} is missing: run .ci/browser-check"
    system, store = app_system
    with (
        dashboard.serve(
            system, port=0, stores=["orders"], allow_actions=True, interval=0.2
        ) as board,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(board.url)
            expect(page.locator("#status")).to_have_text("live", timeout=10_000)
            # The tree, with states and intensity headroom.
            app = page.locator('#tree li.node[data-name="app"]').first
            expect(app.locator(":scope > .badge.running")).to_have_count(1)
            expect(app.locator(":scope > .badge.headroom")).to_have_text("headroom 3/3")
            expect(page.locator('#tree li.node[data-name="ticker"]')).to_have_count(1)
            # Live counters change (the ticker broadcasts every 50 ms).
            first = published(page, "ex_esdb_health")
            page.wait_for_function(
                """([instance, first]) => Number(document.querySelector(
                    `tr[data-instance="${instance}"] td.published`).textContent) > first""",
                arg=["ex_esdb_health", first],
                timeout=10_000,
            )
            # A crash shows in the lifecycle tail and in the tree's restart count.
            actors.exit(actors.whereis("listener", system), "chaos")
            expect(page.locator("#lifecycle tr.event .badge.restarted")).to_have_count(
                1, timeout=10_000
            )
            expect(
                page.locator('#tree li.node[data-name="listener"] > .badge.restarts')
            ).to_have_text("1 restart", timeout=10_000)
            expect(app.locator(":scope > .badge.headroom")).to_have_text("headroom 2/3")
            page.select_option("#filter-type", "restarted")
            expect(page.locator("#lifecycle tr.event")).to_have_count(1)
            page.fill("#filter-text", "nobody-has-this-name")
            expect(page.locator("#lifecycle tr.event")).to_have_count(0)
            page.select_option("#filter-type", "")
            page.fill("#filter-text", "")
            # The control: replay the parked message.
            replay = page.locator('button.replay[data-group="billing"]')
            expect(replay).to_be_enabled(timeout=10_000)
            if os.environ.get(SCREENSHOT_ENV):
                page.locator("#filter-text").blur()
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=os.environ[SCREENSHOT_ENV])
            assert fits(page)
            replay.click()
            expect(page.locator("#notice")).to_have_text(
                "replayed 1 parked message(s) of billing", timeout=10_000
            )
            assert 0 == store.persistent_subscription_info("orders-1", "billing").parked
            expect(page.locator("tr td.parked").first).to_have_text("0", timeout=10_000)
            # A narrow window: one column, nothing wider than the window.
            page.set_viewport_size({"width": 390, "height": 800})
            expect(page.locator("#pubsub-panel")).to_be_visible()
            assert fits(page)
            boxes = [page.locator(f"#{p}").bounding_box() for p in ("tree-panel", "pubsub-panel")]
            assert boxes[0] is not None
            assert boxes[1] is not None
            assert boxes[0]["x"] == boxes[1]["x"]  # stacked, not side by side
            page.screenshot(path=str(tmp_path / "narrow.png"))
        finally:
            browser.close()


def test_actions_are_disabled_by_default(app_system: Any) -> None:
    assert shutil.which(CHROMIUM), f"{CHROMIUM} is missing: run .ci/browser-check"
    system, _ = app_system
    with (
        dashboard.serve(system, port=0, stores=["orders"], interval=0.2) as board,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(board.url)
            expect(page.locator("#status")).to_have_text("live", timeout=10_000)
            replay = page.locator('button.replay[data-group="billing"]')
            expect(replay).to_be_disabled()
            expect(replay).to_have_attribute("title", "start with --allow-actions to enable")
        finally:
            browser.close()


@pytest.fixture(autouse=True)
def _driver_present() -> None:
    from playwright._impl._driver import compute_driver_executable

    driver = compute_driver_executable()
    paths = driver if isinstance(driver, tuple) else (driver,)
    assert all(Path(p).exists() for p in paths), f"playwright's driver is missing: {paths}"
