import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """JSON, refusing lone surrogates (``"\\ud800"``): valid JSON, but not storable text, so
    they would otherwise fail in the database driver with a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ParseError("The body contains text that is not valid Unicode (a lone surrogate).") from None
        return data
