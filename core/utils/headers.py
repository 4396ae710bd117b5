"""Values the backend puts into outgoing HTTP headers (Discord's Authorization, and any later
client): a header carries printable ASCII only. A character outside Latin-1 fails to encode (a
UnicodeEncodeError, once a 500) and a control character would split the header, so callers
refuse such a value with their own invalid-input code before sending anything."""


def is_header_safe(value: str) -> bool:
    return all(" " <= char <= "~" for char in value)
