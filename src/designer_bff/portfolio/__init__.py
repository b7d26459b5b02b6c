"""A designer's portfolio: uploads (streamed to disk, typed by content, zips expanded
safely), the stored past work with its analysis, and the VLT's batch analyses."""
