"""Attestations: the one verifier and its policy, signing, storing, SLSA provenance, SBOMs."""
