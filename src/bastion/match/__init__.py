"""Matching: content matched against known material, by perceptual hash (PDQ hash banks) and by
near-duplicate text (MinHash clusters)."""
