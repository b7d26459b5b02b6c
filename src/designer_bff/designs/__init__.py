"""The design record (an `images` row) and how clients see it."""
