"""The knowledge base: YAML content in knowledge/, validated, compiled into SQLite, queried by the store.

Public entry points: `bot.knowledge.store.KnowledgeStore`, `bot.knowledge.validate.validate`,
`bot.knowledge.build.build`, and the CLI `python -m bot.knowledge`.
"""
