"""Browser tours in headless Chromium, plus screenshots of pages for review.

``capture(url, name, login)`` opens ``url`` in Chromium at desktop and phone
width and saves full-page PNGs as ``<name>-desktop.png`` / ``<name>-phone.png``
under ``$WISP_SCREENSHOTS`` or, by default, the repository's git-ignored
``.local/screenshots/``.
"""

import base64
import os
import pathlib

from odoo.tests.common import ChromeBrowser

SCREENSHOTS = pathlib.Path(
    os.environ.get("WISP_SCREENSHOTS")
    or pathlib.Path(__file__).resolve().parents[3] / ".local" / "screenshots"
)
# name: (width, height, mobile emulation)
VIEWPORTS = {"desktop": (1366, 900, False), "phone": (390, 844, True)}


class TourRunnerMixin:
    """For HttpCase classes."""

    def capture(self, url_path, name, login=None):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser = ChromeBrowser(self)
        try:
            with self.allow_requests(browser=browser):
                self.authenticate(login, login, browser=browser)
                self.cr.flush()
                self.cr.clear()
                for label, (width, height, mobile) in VIEWPORTS.items():
                    browser._websocket_request(
                        "Emulation.setDeviceMetricsOverride",
                        params={
                            "width": width,
                            "height": height,
                            "deviceScaleFactor": 1,
                            "mobile": mobile,
                        },
                    )
                    browser.navigate_to(self.base_url() + url_path, wait_stop=True)
                    self.assertTrue(browser._wait_ready(), f"{url_path} did not load")
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
                self._wait_remaining_requests()
        finally:
            browser.stop()
        return SCREENSHOTS
