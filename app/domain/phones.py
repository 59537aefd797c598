"""Phone numbers: stored in E.164, shown in national format, searched by their last digits."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "US"


def to_e164(text: str, region: str = DEFAULT_REGION) -> str | None:
    """A caller's number in any common format to E.164, or None if it is not a valid number."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_digits(e164: str) -> str:
    """The national significant number of an E.164 string: ``+15035550123`` -> ``5035550123``."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.national_significant_number(number)


def display(e164: str | None) -> str:
    """E.164 as the agent reads it: ``(503) 555-0123`` for North American numbers,
    international format otherwise."""
    if not e164:
        return ""
    if len(e164) == 12 and e164.startswith("+1") and e164[2:].isdigit():
        # The NANP national format, without phonenumbers' costly parse: a result list
        # formats twenty of these per keystroke.
        return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == DEFAULT_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def suffix_key(e164: str) -> str:
    """The reversed national digits, so "ends with 0123" becomes an index prefix range."""
    return national_digits(e164)[::-1]
