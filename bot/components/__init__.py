"""Custom Rasa NLU components (loaded by the Rasa server through config.yml)."""
