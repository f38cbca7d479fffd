"""Browser tours in headless Chromium, plus screenshots of pages for review.

``capture(url, name, login)`` opens ``url`` in Chromium at desktop and phone
width and saves full-page PNGs as ``<name>-desktop.png`` / ``<name>-phone.png``
under ``$WISP_SCREENSHOTS`` or, by default, the repository's git-ignored
``.local/screenshots/``. ``cut_off_at_phone_width(url, login, selectors)`` says
which elements a phone would not show without scrolling sideways.
"""

import base64
import contextlib
import json
import os
import pathlib

from odoo.tests.common import ChromeBrowser

SCREENSHOTS = pathlib.Path(
    os.environ.get("WISP_SCREENSHOTS")
    or pathlib.Path(__file__).resolve().parents[3] / ".local" / "screenshots"
)
# name: (width, height, mobile emulation)
VIEWPORTS = {"desktop": (1366, 900, False), "phone": (390, 844, True)}

# For each selector: missing, or one of its elements outside the viewport or clipped
# by a scrolling ancestor (a table-responsive wrapper scrolled sideways).
CUT_OFF_JS = """
(() => {
    const cut = [];
    for (const selector of %s) {
        const elements = [...document.querySelectorAll(selector)];
        if (!elements.length) {
            cut.push(`${selector} (missing)`);
            continue;
        }
        const clipped = elements.some((element) => {
            const box = element.getBoundingClientRect();
            if (!box.width || !box.height || box.left < 0 || box.right > window.innerWidth + 0.5) {
                return true;
            }
            for (let parent = element.parentElement; parent; parent = parent.parentElement) {
                if (getComputedStyle(parent).overflowX === "visible") {
                    continue;
                }
                const frame = parent.getBoundingClientRect();
                if (box.right > frame.right + 0.5 || box.left < frame.left - 0.5) {
                    return true;
                }
            }
            return false;
        });
        if (clipped) {
            cut.push(selector);
        }
    }
    return cut;
})()
"""


class TourRunnerMixin:
    """For HttpCase classes."""

    @contextlib.contextmanager
    def _browser(self, login=None):
        browser = ChromeBrowser(self)
        try:
            with self.allow_requests(browser=browser):
                self.authenticate(login, login, browser=browser)
                self.cr.flush()
                self.cr.clear()
                yield browser
                self._wait_remaining_requests()
        finally:
            browser.stop()

    def _open(self, browser, url_path, viewport):
        width, height, mobile = VIEWPORTS[viewport]
        browser._websocket_request(
            "Emulation.setDeviceMetricsOverride",
            params={"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )
        browser.navigate_to(self.base_url() + url_path, wait_stop=True)
        self.assertTrue(browser._wait_ready(), f"{url_path} did not load")

    def capture(self, url_path, name, login=None):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with self._browser(login) as browser:
            for label, (width, _height, _mobile) in VIEWPORTS.items():
                self._open(browser, url_path, label)
                metrics = browser._websocket_request("Page.getLayoutMetrics")
                size = metrics["cssContentSize"]
                shot = browser._websocket_request(
                    "Page.captureScreenshot",
                    params={
                        "format": "png",
                        "captureBeyondViewport": True,
                        "clip": {
                            "x": 0,
                            "y": 0,
                            "width": width,
                            "height": min(size["height"], 4000),
                            "scale": 1,
                        },
                    },
                    timeout=30,
                )
                path = SCREENSHOTS / f"{name}-{label}.png"
                path.write_bytes(base64.b64decode(shot["data"]))
        return SCREENSHOTS

    def evaluate_at_phone_width(self, url_path, expression, login=None):
        """The value of the JavaScript ``expression`` on ``url_path`` at phone width."""
        with self._browser(login) as browser:
            self._open(browser, url_path, "phone")
            result = browser._websocket_request(
                "Runtime.evaluate", params={"expression": expression, "returnByValue": True}
            )
        return result["result"].get("value")

    def cut_off_at_phone_width(self, url_path, selectors, login=None):
        """The ``selectors`` that a phone does not show in full without scrolling
        sideways (or that are missing) on ``url_path``."""
        return self.evaluate_at_phone_width(
            url_path, CUT_OFF_JS % json.dumps(selectors), login=login
        )
