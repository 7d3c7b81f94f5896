"""The API's JSON parser: DRF's, reading through ``config.json_input`` so that a deeply nested
body or a number out of range is a 400 with a message instead of a 500."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from config import json_input


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            return json_input.loads(text)
        except (ValueError, LookupError) as exc:  # UnreadableJSON, UnicodeDecodeError, charset
            raise ParseError(f"JSON parse error - {exc}") from None
