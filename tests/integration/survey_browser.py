#!/usr/bin/env python3
"""An owner answers a survey on their phone: headless Chromium (Debian's, driven through
Debian's chromedriver by Selenium) opens the link at a phone's size, checks the page
renders (the survey's title, one block per question, nothing wider than the screen, no
console errors), taps the answers, submits, and checks the page then thanks the owner;
opening the link again says it was answered. Screenshots of the filled form and the
thanks page go to --shots.

  survey_browser.py --url URL --answers '{"quality": 1, "tangibles": [6, 2], "comment": "..."}'
                    --shots DIR [--title TITLE]

A score is a number, a SERVQUAL pair [expectation, perception], text or an option a
string. Prints one JSON line of what it saw; exit 0 when every check held, 1 with the
reason otherwise.
"""
import argparse
import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

PHONE = (390, 844)  # CSS pixels, a common phone


def fail(msg, seen):
    seen["error"] = msg
    print(json.dumps(seen, ensure_ascii=False))
    sys.exit(1)


# How often a step is tried when chromedriver loses an element (see tap), backing off.
ATTEMPTS = 8


def tap(driver, name, value):
    """Taps the visible button of a radio input (the input itself is hidden), and checks
    the radio is then checked. chromedriver now and then loses an element it just found
    ("Node with given id does not belong to the document"): found again and tapped
    again, a few times."""
    radio = f'//input[@name="{name}" and @value="{value}"]'
    for attempt in range(ATTEMPTS):
        try:
            spans = driver.find_elements(By.XPATH, radio + "/following-sibling::span")
            if not spans:  # an option: the label around the radio
                spans = driver.find_elements(By.XPATH, radio + "/parent::label")
            if not spans:
                raise LookupError(f"no choice {value} for {name}")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", spans[0])
            spans[0].click()
            if driver.find_element(By.XPATH, radio).is_selected():
                return
        except (StaleElementReferenceException, WebDriverException) as e:
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise LookupError(f"choice {value} for {name} did not stay selected")


def retried(step):
    """A step again when chromedriver lost the element it had just found (see tap)."""
    for attempt in range(ATTEMPTS):
        try:
            return step()
        except (StaleElementReferenceException, WebDriverException):
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--answers", required=True)
    ap.add_argument("--shots", required=True)
    ap.add_argument("--title", default="")
    args = ap.parse_args()
    answers = json.loads(args.answers)
    os.makedirs(args.shots, exist_ok=True)

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--lang=zh-CN", "--no-proxy-server", f"--window-size={PHONE[0]},{PHONE[1]}"):
        opts.add_argument(a)
    opts.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": PHONE[0], "height": PHONE[1], "pixelRatio": 2}})
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    seen = {}
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        driver.set_page_load_timeout(30)
        driver.get(args.url)
        WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")
        seen["title"] = driver.find_element(By.TAG_NAME, "h1").text
        if args.title and seen["title"] != args.title:
            fail(f"the page's title is {seen['title']!r}, expected {args.title!r}", seen)
        seen["questions"] = len(driver.find_elements(By.CSS_SELECTOR, "fieldset.q"))
        seen["lang"] = driver.find_element(By.TAG_NAME, "html").get_attribute("lang")
        width = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        seen["width"] = width
        if width[0] > width[1]:
            fail(f"the page is wider ({width[0]}px) than the phone's screen ({width[1]}px)", seen)
        for qid, value in answers.items():
            if isinstance(value, list):
                tap(driver, f"{qid}.expectation", value[0])
                tap(driver, f"{qid}.perception", value[1])
            elif isinstance(value, int):
                tap(driver, qid, value)
            elif retried(lambda qid=qid: driver.find_elements(By.CSS_SELECTOR, f'textarea[name="{qid}"]')):
                def write(qid=qid, value=value):
                    box = driver.find_element(By.CSS_SELECTOR, f'textarea[name="{qid}"]')
                    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
                    box.clear()
                    box.send_keys(value)
                retried(write)
            else:
                tap(driver, qid, value)
        driver.save_screenshot(os.path.join(args.shots, "survey-filled.png"))
        def submit():
            buttons = driver.find_elements(By.CSS_SELECTOR, "button[type=submit]")
            if not buttons:  # submitted already: the thanks page
                return
            button = buttons[0]
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
            button.click()
        retried(submit)
        WebDriverWait(driver, 20).until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "感谢"))
        seen["after"] = driver.find_element(By.TAG_NAME, "h1").text
        seen["after_text"] = driver.find_element(By.TAG_NAME, "p").text
        driver.save_screenshot(os.path.join(args.shots, "survey-thanks.png"))
        # The link again (a second tap on the SMS): answered, said plainly.
        driver.get(args.url)
        seen["again"] = driver.find_element(By.TAG_NAME, "h1").text
        seen["forms_again"] = len(driver.find_elements(By.TAG_NAME, "form"))
        errors = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        seen["console_errors"] = errors
        if errors:
            fail("the browser reported errors", seen)
    except Exception as e:  # noqa: BLE001 - every failure is reported with what was seen
        try:
            driver.save_screenshot(os.path.join(args.shots, "survey-failed.png"))
        except Exception:  # noqa: BLE001
            pass
        fail(f"{type(e).__name__}: {e}", seen)
    finally:
        driver.quit()
    print(json.dumps(seen, ensure_ascii=False))


if __name__ == "__main__":
    main()
