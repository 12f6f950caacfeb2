"""Browser sessions on granted web applications (``Session.open("app")``).

The host drives a locked-down Chromium: the robot names elements with strict
locators (exactly one match, or an error naming the count) and acts on them;
it cannot run scripts. Secrets are typed by the host with
``element.fill_secret(name)``, never seen by the robot::

    with browser.Session.open("chorus") as s:
        s.goto("http://127.0.0.1:8080/subvention")
        s.fill_in(browser.label("SIRET du bénéficiaire"), "73282932000074")
        s.click_on(browser.role("button", "Suivant"))

Leaving the ``with`` block closes the session at once.
"""

from wit_world.imports.browser import *  # noqa: F401,F403 - the capability itself
from wit_world.imports import browser as _raw


def id(value: str):
    """The element whose stable-id attribute (set per application by the operator) is ``value``."""
    return _raw.Locator_StableId(value)


def label(text: str):
    """The form control labelled ``text``."""
    return _raw.Locator_Label(text)


def role(role: str, name: str):
    """The element of ARIA ``role`` with accessible name ``name``."""
    return _raw.Locator_Role(_raw.RoleLocator(role, name))


def css(selector: str):
    """A CSS selector, as a last resort (stable ids and labels survive redesigns better)."""
    return _raw.Locator_Css(selector)


def _fill_in(self, locator, text: str):
    """Find the one element ``locator`` names and type ``text`` into it."""
    with self.find(locator) as element:
        element.fill(text)


def _click_on(self, locator):
    """Find the one element ``locator`` names and click it."""
    with self.find(locator) as element:
        element.click()


def _wait_text(self, locator, timeout_ms: int) -> str:
    """Wait up to ``timeout_ms`` for ``locator`` to be present and visible,
    then return its text: for results a page reveals after a submit."""
    with self.wait_for(locator, timeout_ms) as element:
        return element.text()


_raw.Session.fill_in = _fill_in
_raw.Session.click_on = _click_on
_raw.Session.wait_text = _wait_text
