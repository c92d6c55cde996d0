"""Vietnamese NLP: the text pipeline (pipeline.py) and the classification engine (engine.py)."""
