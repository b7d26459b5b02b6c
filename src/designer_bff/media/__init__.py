"""Image derivatives (preview, thumbnail, ThumbHash) made from one decode."""
