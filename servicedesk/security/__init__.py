"""Abuse limits (issue 8, item 4): an atomic rate limiter, the client's IP, login throttling."""
