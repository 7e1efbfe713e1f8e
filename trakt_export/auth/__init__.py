"""Trakt OAuth tokens: the saved token file (0600, atomic) and the refreshing `httpx.Auth`."""
