"""Channel adapters, one package per platform (see base.py for the shared interface)."""
