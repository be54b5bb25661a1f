# The two commands are `make run` and `make test`; the rest are steps they use.
.DEFAULT_GOAL := help
SHELL := /bin/bash

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

run: ## Command 1: set up if needed and run the assistant on localhost
	@scripts/run.sh

shell: ## Chat in the terminal with the running assistant (guarded REST channel; type a number to choose)
	@.venv/bin/python -m bot.shell

test: ## Command 2: set up if needed and run the whole test suite
	@scripts/test.sh

setup: ## Create .venv, build the knowledge database, train if needed
	@source scripts/common.sh && setup

knowledge: ## Validate knowledge/ and rebuild the database and the spaCy pipeline
	@source scripts/common.sh && ensure_venv && build_knowledge

knowledge-report: ## List the content past its review date (and any error)
	@source scripts/common.sh && ensure_venv && "$$PY" -m bot.knowledge check

train: ## Retrain the model now, even if nothing changed
	@source scripts/common.sh && ensure_venv && build_knowledge && rm -f models/.fingerprint && ensure_model

teams-package: ## Build the Microsoft Teams app package (needs MICROSOFT_APP_ID)
	@source scripts/common.sh && ensure_venv && "$$PY" -m bot.teams_package --out build/teams-app.zip

purge: ## Delete conversations older than RETENTION_DAYS (default 30) from the tracker store
	@source scripts/common.sh && ensure_venv && "$$PY" -m bot.retention --db build/tracker.db

run-scaled: ## Run two replicas + nginx on PostgreSQL and Redis (see README, Scaling out)
	@source scripts/common.sh && setup && "$$PY" -m deploy.scaled --replicas 2 --port 8080

benchmark: ## Measure latency, throughput, memory and training time against a rasa init baseline
	@source scripts/common.sh && setup && ensure_debian_packages nginx-light && "$$PY" -m benchmarks.run

.PHONY: help run shell test setup knowledge knowledge-report train teams-package purge run-scaled benchmark
