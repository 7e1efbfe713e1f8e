"""Letterboxd CSV (SPEC §5), pure: FilmData -> rows (rows), the enrichers (reviews, tags, since,
directors: extras), CSV text and split parts."""
