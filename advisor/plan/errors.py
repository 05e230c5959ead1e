"""The one exception type a user ever sees."""

from __future__ import annotations


class AdvisorError(Exception):
    """Bad input or an unmet precondition, reported as one line with exit code 2.

    The message says what was wrong and what to do about it. Raising it must
    leave every store untouched: check first, write after.

    Examples
    --------
    >>> str(AdvisorError("min size 200 MB is above max size 100 MB: lower --min-size"))
    'min size 200 MB is above max size 100 MB: lower --min-size'
    """
