"""Headless Chromium (Debian's, through its own chromedriver) driven by Selenium, reading what the tutor draws."""

from __future__ import annotations

import time

# The terminal is drawn on a canvas; what the app sends down the websocket is the only text there is to read.
# Each socket's output, decoded as it comes, is kept on the page for the test to search.
_RECORD_SCREEN = """
window.__screen = "";
const Native = window.WebSocket;
function Recorded(url, protocols) {
  const socket = protocols ? new Native(url, protocols) : new Native(url);
  const decoder = new TextDecoder();
  socket.addEventListener("message", (event) => {
    window.__screen += typeof event.data === "string" ? event.data : decoder.decode(event.data, {stream: true});
  });
  return socket;
}
Recorded.prototype = Native.prototype;
Object.assign(Recorded, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
window.WebSocket = Recorded;
"""


class Browser:
    """One browser of its own (its own profile: another learner's laptop)."""

    def __init__(self, width: int = 1400, height: int = 900):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         f"--window-size={width},{height}"):
            options.add_argument(argument)
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _RECORD_SCREEN})

    def open(self, url: str) -> None:
        self.driver.get(url)

    def reload(self) -> None:
        self.driver.refresh()

    def screen(self) -> str:
        return self.driver.execute_script("return window.__screen || ''")

    def wait_for(self, *texts: str, timeout: float = 120) -> float:
        """Seconds until every text has been drawn since the page opened."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            drawn = self.screen()
            if all(text in drawn for text in texts):
                return time.monotonic() - started
            time.sleep(0.2)
        missing = [text for text in texts if text not in self.screen()]
        raise AssertionError(f"never drawn: {missing}; the page is {self.driver.current_url}")

    def press(self, keys: str) -> None:
        from selenium.webdriver.common.by import By

        # xterm.js reads keys from its hidden textarea: typed there, as a learner's keyboard does once they click.
        self.driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea").send_keys(keys)

    def text(self) -> str:
        """The page's own text (the server's pages; the tutor's terminal has none)."""
        return self.driver.execute_script("return document.body.innerText")

    def screenshot(self, path) -> None:
        self.driver.save_screenshot(str(path))

    def close(self) -> None:
        self.driver.quit()
