"""Vietnamese NLP: the text pipeline (pipeline.py and its steps: normalization, segmentation,
language, names, pii) and the classification engine (engine.py and its parts: params, features,
linear_models, tuning, stacking, model)."""
