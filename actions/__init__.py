"""Thin Rasa SDK adapters: each action reads the tracker, calls bot/, replies."""
