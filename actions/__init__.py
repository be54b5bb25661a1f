"""Thin Rasa SDK adapters: each action reads the tracker, calls bot/, replies.

Importing the package (as `rasa run actions --actions actions` does, once, at
start) makes the action server's log records safe: no tracebacks and no
message text (see bot/logs.py).
"""
import bot.logs

bot.logs.install()
