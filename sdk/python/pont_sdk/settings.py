"""The operator's ``[settings]`` for this robot: plain strings, never secrets."""


class Settings:
    def __init__(self, pairs):
        self._values = dict(pairs)

    def get(self, key: str):
        """The value of ``key``, or ``None`` if the operator did not set it."""
        return self._values.get(key)

    def get_or(self, key: str, default: str) -> str:
        """The value of ``key``, or ``default``."""
        return self._values.get(key, default)

    def parse(self, key: str, kind):
        """The value of ``key`` converted by ``kind`` (``int``, ``float``…),
        ``None`` if unset; a ``ValueError`` names the key."""
        value = self._values.get(key)
        if value is None:
            return None
        try:
            return kind(value)
        except (TypeError, ValueError):
            raise ValueError(f"setting `{key}`: cannot parse `{value}`") from None

    def items(self):
        """Every setting, in key order."""
        return sorted(self._values.items())
