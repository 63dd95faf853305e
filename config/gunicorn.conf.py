"""gunicorn's settings for the web process (Procfile, scripts/run): ``gunicorn -c config/gunicorn.conf.py``.

Request limits that gunicorn enforces before Django sees anything, and its answers to them in
the API's error shape (``{"type", "errors": [{"code", "detail", "attr"}]}``) rather than its
own HTML page, so that an ERP parsing JSON gets JSON for a 414 or a 431 too.
"""

import json

import gunicorn.util

# The request line (method, URI, version): a URI over this answers 414.
limit_request_line = 8190
# Headers: at most this many, each at most this long (431 past it).
limit_request_fields = 100
limit_request_field_size = 8190

_CODES = {400: "bad_request", 403: "forbidden", 414: "uri_too_long", 417: "expectation_failed",
          431: "headers_too_large", 500: "error", 501: "not_implemented"}


def _write_json_error(sock, status_int, reason, mesg):
    kind = "server_error" if status_int >= 500 else "client_error"
    body = json.dumps({"type": kind, "errors": [
        {"code": _CODES.get(status_int, "bad_request"), "detail": f"{reason}: {mesg}"[:500], "attr": None}
    ]}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin1")
    gunicorn.util.write_nonblock(sock, head + body)


# Workers are forked from the process that read this file: they call the patched function.
gunicorn.util.write_error = _write_json_error
