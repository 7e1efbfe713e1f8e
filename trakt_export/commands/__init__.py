"""Typer command groups; each module owns one group and imports heavy modules lazily."""
