import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def json_depth_exceeds(data, limit: int) -> bool:
    """Whether ``data`` nests lists/objects deeper than ``limit`` (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))
    return False


class StrictJSONParser(JSONParser):
    """JSON, refusing what would fail later with a 500: nesting deeper than
    ``API_JSON_MAX_DEPTH`` (Python's recursion limit, in the parser or anything that walks the
    data after it) and lone surrogates (``"\\ud800"``: valid JSON, but not storable text)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
            deep = True
        else:
            deep = json_depth_exceeds(data, settings.API_JSON_MAX_DEPTH)
        if deep:
            raise ParseError(f"The JSON is nested deeper than {settings.API_JSON_MAX_DEPTH} levels.", code="too_deep")
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ParseError("The body contains text that is not valid Unicode (a lone surrogate).") from None
        return data
