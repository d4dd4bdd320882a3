"""Password policy: long enough, not the user name, not one of the passwords everyone tries."""

from __future__ import annotations

from quancheng.errors import FieldError

MIN_PASSWORD = 8

# The first guesses of every credential-stuffing list (Chinese and international top lists) that
# are long enough to pass the length rule; compared case-insensitively.
COMMON_PASSWORDS = frozenset(
    {
        "00000000",
        "11111111",
        "12341234",
        "12344321",
        "12345678",
        "123456789",
        "1234567890",
        "123123123",
        "123qweasd",
        "147258369",
        "1q2w3e4r",
        "1q2w3e4r5t",
        "1qaz2wsx",
        "5201314520",
        "66666666",
        "88888888",
        "987654321",
        "a1234567",
        "aa123456",
        "abc12345",
        "abc123456",
        "abcd1234",
        "admin123",
        "admin1234",
        "administrator",
        "asdf1234",
        "asdfghjkl",
        "baseball",
        "changeme",
        "football",
        "iloveyou",
        "letmein1",
        "p@ssw0rd",
        "passw0rd",
        "password",
        "password1",
        "password123",
        "princess",
        "qazwsxedc",
        "qwe123456",
        "qweasdzxc",
        "qwer1234",
        "qwerty123",
        "qwertyui",
        "qwertyuiop",
        "sunshine",
        "trustno1",
        "welcome1",
        "woaini1314",
        "woaini520",
        "zxcvbnm123",
    }
)


def password_problem(password: str, *, username: str) -> FieldError | None:
    """What is wrong with a new password for this user, or None when it may be used."""
    if len(password) < MIN_PASSWORD:
        return FieldError("password", "too_short", f"at least {MIN_PASSWORD} characters")
    folded = password.casefold()
    if folded == username.casefold():
        return FieldError("password", "same_as_username", "must differ from the user name")
    # One character repeated is as easy to guess as anything on the list.
    if folded in COMMON_PASSWORDS or len(set(folded)) == 1:
        return FieldError("password", "too_common", "is among the most used; choose another")
    return None
