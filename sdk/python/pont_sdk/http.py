"""Outbound HTTP to origins the operator granted (``[grant.http.NAME]``).

Every request, and every redirect the host follows, is checked against the
grant; a refusal raises ``Err(Error_Denied)``. Secrets go in by reference::

    request = http.get("https://referentiel.example.fr/api/pros/10001234567")
    request.header("accept", "application/json")
    request.secret_header("authorization", "Bearer {{secret:referentiel}}")
    response = http.send(request)
    print(response.status, response.text())
"""

from wit_world.imports.http import *  # noqa: F401,F403 - the capability itself
from wit_world.imports import http as _raw


def get(url: str):
    """A ``GET`` of ``url``, without headers."""
    return _raw.Request("GET", url, [], [], None)


def post(url: str, content_type: str, body: bytes):
    """A ``POST`` of ``body`` to ``url``, with its content type."""
    return _raw.Request("POST", url, [("content-type", content_type)], [], bytes(body))


def _header(self, name: str, value: str):
    """Add a plain header; returns the request, so calls chain."""
    self.headers.append((name, value))
    return self


def _secret_header(self, name: str, value: str):
    """Add a header the host fills with a secret: ``value`` is a secret's
    name or a template such as ``Bearer {{secret:NAME}}``."""
    self.secret_headers.append((name, value))
    return self


def _text(self) -> str:
    """The body as text (invalid UTF-8 replaced)."""
    return bytes(self.body).decode("utf-8", errors="replace")


def _response_header(self, name: str):
    """The first header of this name (case-insensitive), or ``None``."""
    name = name.lower()
    return next((v for k, v in self.headers if k.lower() == name), None)


_raw.Request.header = _header
_raw.Request.secret_header = _secret_header
_raw.Response.text = _text
_raw.Response.header = _response_header
