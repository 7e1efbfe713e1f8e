"""trakt-export: Trakt.tv to Letterboxd CSV exporter and JSON backup tool."""

__version__ = "0.1.0"
USER_AGENT = f"trakt-export/{__version__}"
