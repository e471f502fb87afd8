"""Input validation, seeding and checkpoint helpers shared by the package."""
