"""The built site in headless Chromium: every page loads with no console error and no request
leaving the machine; results visible; the palette toggle works; search finds "stampede"."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
import time

import pytest

from checks import REGISTRY
from conftest import ROOT, build_site

pytestmark = pytest.mark.site
ARTIFACTS = ROOT / "test-artifacts"
PAGES = ["", "context/", "recap/", *(c.page for c in REGISTRY), "m2-2/", "your-data/", "data-formats/", "cli/"]


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    site = tmp_path_factory.mktemp("browser") / "site"
    out = build_site(site, {"BRIDGE_SAMPLE": "1"})
    assert out.returncode == 0, out.stderr
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def chrome(tmp_path_factory, name: str, *flags: str, phone_width: int | None = None):
    """Debian's headless Chromium through chromedriver; with ``phone_width``, Chromium's device emulation."""
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path_factory.mktemp(name)}", *flags):
        options.add_argument(flag)
    if phone_width:
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": phone_width, "height": 844,
                                                                              "pixelRatio": 2}})
    else:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chrome(tmp_path_factory, "chrome", "--window-size=1280,1600")
    yield driver
    driver.quit()


def load(browser, url: str) -> None:
    browser.get(url)
    deadline = time.monotonic() + 15
    while browser.execute_script("return document.readyState") != "complete" and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)  # let the theme's scripts run


def requested_urls(browser) -> list[str]:
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def test_every_page_loads_cleanly_and_stays_on_the_machine(browser, site_url):
    for page in PAGES:
        browser.get_log("browser")
        browser.get_log("performance")
        load(browser, site_url + page)
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], (page, errors)
        outside = [u for u in requested_urls(browser) if not u.startswith((site_url, "data:", "blob:"))]
        assert outside == [], (page, outside)


def test_results_are_visible_and_screenshots_are_kept(browser, site_url):
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(exist_ok=True)
    load(browser, site_url)
    readiness = browser.find_element(By.CSS_SELECTOR, ".bridge-readiness")
    assert readiness.is_displayed() and "Not ready for M2.2 yet" in readiness.text
    rows = browser.find_elements(By.CSS_SELECTOR, ".bridge-readiness tbody tr")
    assert len(rows) == len(REGISTRY) and all("SAMPLE DATA" in r.text.upper() for r in rows)
    browser.save_screenshot(str(ARTIFACTS / "first-page.png"))
    from checks import Config, run

    expected = {r.id: r.status.value.upper() for r in run(Config(sample=True)).results}
    for check in REGISTRY:
        load(browser, site_url + check.page)
        box = browser.find_element(By.CSS_SELECTOR, ".bridge-result")
        title = box.find_element(By.CSS_SELECTOR, ".admonition-title").text
        assert box.is_displayed() and f": {expected[check.id]}" in title and "SAMPLE DATA" in title.upper(), title
    load(browser, site_url + "checks/query-diversity/")
    assert browser.find_element(By.CSS_SELECTOR, ".bridge-chart").is_displayed()
    browser.save_screenshot(str(ARTIFACTS / "check-page.png"))
    assert (ARTIFACTS / "first-page.png").stat().st_size > 10_000


def test_palette_toggle_switches_to_dark_and_back(browser, site_url):
    from selenium.webdriver.common.by import By

    load(browser, site_url)
    scheme = lambda: browser.execute_script("return document.body.getAttribute('data-md-color-scheme')")  # noqa: E731
    toggle = lambda: browser.find_element(  # noqa: E731
        By.CSS_SELECTOR, "form[data-md-component=palette] label:not([hidden])").click()
    first = scheme()
    toggle()
    time.sleep(0.3)
    second = scheme()
    assert {first, second} == {"default", "slate"}, (first, second)
    background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    toggle()
    time.sleep(0.3)
    assert scheme() == first
    assert browser.execute_script("return getComputedStyle(document.body).backgroundColor") != background


def test_search_finds_stampede(browser, site_url):
    from selenium.webdriver.common.by import By

    load(browser, site_url)
    field = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
    field.click()  # on a wide window the search field sits in the header
    field.send_keys("stampede")
    # The search worker re-renders the result list as it types and as results
    # arrive, so elements go stale under a reader: take the texts in one script
    # call, which reads one consistent DOM, and wait until they mention the word.
    read = "return Array.from(document.querySelectorAll('.md-search-result__item'), e => e.innerText)"
    deadline = time.monotonic() + 15
    texts = []
    while time.monotonic() < deadline and not any("stampede" in t.lower() for t in texts):
        texts = [t for t in browser.execute_script(read) if t.strip()]
        time.sleep(0.2)
    assert texts, "search found nothing for 'stampede'"
    assert any("stampede" in t.lower() for t in texts), texts[:3]


# The picture each page shows (its class), drawn by checks/charts.py.
PICTURES = {"": "tiles", "checks/hit-rate/": "gauge", "checks/cost-savings/": "cost",
            "checks/query-diversity/": "scale", "m2-2/": "waterfall"}


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    """A 390-px-wide phone (Chromium's device emulation), apart from the desktop browser."""
    driver = chrome(tmp_path_factory, "phone", phone_width=390)
    yield driver
    driver.quit()


MEASURE = """
return Array.from(document.querySelectorAll('svg.bridge-chart'), s => {
  const vb = s.viewBox.baseVal, box = s.getBoundingClientRect();
  const texts = Array.from(s.querySelectorAll('text'));
  const px = texts.map(t => parseFloat(t.getAttribute('font-size')) * box.width / vb.width);
  const outside = texts.filter(t => { const b = t.getBBox();
      return b.x < -0.5 || b.x + b.width > vb.width + 0.5 || b.y < -0.5 || b.y + b.height > vb.height + 0.5; })
    .map(t => t.textContent);
  return {kind: s.getAttribute('class'), width: box.width, smallest: Math.min(...px), outside: outside,
          role: s.getAttribute('role'), label: s.getAttribute('aria-label') || '',
          title: (s.querySelector('title') || {}).textContent || '', desc: (s.querySelector('desc') || {}).textContent || '',
          fill: getComputedStyle(texts[0]).fill, color: getComputedStyle(document.body).color};
});"""


def test_every_picture_is_legible_on_a_phone_and_in_both_palettes(phone, site_url):
    """No chart text under 11 px on a 390-px phone, none cut off at an edge, a text alternative on each,
    and text that takes the palette's own colour in light and in dark."""
    ARTIFACTS.mkdir(exist_ok=True)
    for page, kind in PICTURES.items():
        load(phone, site_url + page)
        assert phone.execute_script("return document.documentElement.scrollWidth") <= 391, page
        for scheme in ("default", "slate"):
            phone.execute_script(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
            charts = phone.execute_script(MEASURE)
            assert any(f"bridge-chart-{kind}" in c["kind"] for c in charts), (page, [c["kind"] for c in charts])
            for c in charts:
                assert c["width"] > 250 and c["smallest"] >= 11, (page, c)
                assert c["outside"] == [], (page, c["kind"], c["outside"])
                assert c["role"] == "img" and len(c["label"]) > 20 and c["title"] and c["desc"], (page, c)
                assert c["fill"] == c["color"], (page, scheme, c)  # currentColor: the palette's text colour
            phone.save_screenshot(str(ARTIFACTS / f"phone-{kind}-{scheme}.png"))


def test_the_overview_table_colours_every_status_and_keeps_badges_on_one_line(browser, site_url):
    from selenium.webdriver.common.by import By

    load(browser, site_url)
    head = browser.find_element(By.CSS_SELECTOR, ".bridge-readiness thead").text
    assert "Sample value" in head and "Your value" not in head
    colour = """const row = document.querySelector('.bridge-readiness tbody tr'); row.dataset.status = arguments[0];
                return getComputedStyle(row.querySelector('.bridge-status strong')).color;"""
    body = browser.execute_script("return getComputedStyle(document.querySelector('.md-typeset')).color")
    colours = {s: browser.execute_script(colour, s) for s in ("pass", "warn", "fail", "skip", "error")}
    assert len(set(colours.values())) == 5 and body not in colours.values(), colours
    for badge in browser.find_elements(By.CSS_SELECTOR, ".bridge-readiness .bridge-sample"):
        lines = browser.execute_script("return arguments[0].getClientRects().length", badge)
        assert lines == 1, badge.text


def test_the_checklist_ticks_nothing_on_sample_data(browser, site_url):
    from selenium.webdriver.common.by import By

    load(browser, site_url)
    items = browser.find_elements(By.CSS_SELECTOR, ".bridge-verified li")
    assert len(items) == 5
    assert all(i.get_attribute("data-done") == "false" for i in items)
    assert not any(i.find_element(By.TAG_NAME, "input").is_selected() for i in items)
    assert "sample data" in items[4].text.lower()


def test_pages_print_with_their_pictures(browser, site_url):
    load(browser, site_url + "m2-2/")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = browser.execute_script(
            "return Array.from(document.querySelectorAll('svg.bridge-chart'), s => s.getBoundingClientRect().width)")
        header = browser.execute_script(
            "return getComputedStyle(document.querySelector('.md-header')).display")
        assert shown and all(w > 200 for w in shown) and header == "none", (shown, header)
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
