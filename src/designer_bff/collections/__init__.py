"""Collections of designs: named sets, ordered, shareable by a read-only link."""
