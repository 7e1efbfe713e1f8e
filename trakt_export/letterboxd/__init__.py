"""Letterboxd CSV (SPEC §5), pure: FilmData -> rows (rows), the enrichers (enrichers: reviews,
tags, since, directors, each with its need, step, column and commit), CSV text and split parts."""
