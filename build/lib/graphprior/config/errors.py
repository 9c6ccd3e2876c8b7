"""The one error type of a bad configuration."""

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """An invalid configuration; the message names the key."""
