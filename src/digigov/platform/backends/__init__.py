"""Ports from the platform to the outside world (`typing.Protocol`), with implementations chosen in settings."""
