"""The seed corpus of the product classifiers (see PROVENANCE.md)."""
