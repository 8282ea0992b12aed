"""E-mail validation without network look-ups; addresses stored lower-cased."""

from email_validator import EmailNotValidError, validate_email


class InvalidEmailError(ValueError):
    pass


def normalize_email(raw: str) -> str:
    """Validate the address's syntax and return it lower-cased; raises InvalidEmailError."""
    text = raw.strip()
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmailError(str(exc)) from exc
    return result.normalized.lower()
