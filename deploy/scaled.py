"""Run the scaled set-up on one machine: an action server, N Rasa replicas
(PostgreSQL tracker store, Redis lock store) and nginx in front of them.

    python -m deploy.scaled --replicas 2 --port 8080

PostgreSQL and Redis must be running; connection settings come from the
environment (DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD, REDIS_HOST,
REDIS_PORT, REDIS_DB, REDIS_PASSWORD) with localhost defaults.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from deploy.processes import Assistant, free_port, make_assistant

HERE = Path(__file__).resolve().parent
DEFAULTS = {
    "DB_HOST": "127.0.0.1", "DB_PORT": "5432", "DB_NAME": "neglect_assistant", "DB_USER": "postgres",
    "DB_PASSWORD": "", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "1",
    "REDIS_PASSWORD": "",
}


def scaled_env(overrides: dict[str, str] | None = None) -> dict[str, str]:
    env = {key: os.environ.get(key, value) for key, value in DEFAULTS.items()}
    env.update(overrides or {})
    return env


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def services_missing(env: dict[str, str] | None = None) -> list[str]:
    """Which of PostgreSQL and Redis cannot be reached with these settings."""
    settings = scaled_env(env)
    services = {"PostgreSQL": (settings["DB_HOST"], int(settings["DB_PORT"])),
                "Redis": (settings["REDIS_HOST"], int(settings["REDIS_PORT"]))}
    return [name for name, (host, port) in services.items() if not reachable(host, port)]


def psql(sql: str, database: str = "postgres", env: dict[str, str] | None = None) -> str:
    """Run one statement against a database of the server (default `postgres`)."""
    settings = scaled_env(env)
    return subprocess.run(
        ["psql", "-h", settings["DB_HOST"], "-p", settings["DB_PORT"], "-U", settings["DB_USER"],
         "-d", database, "-tAc", sql],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PGPASSWORD": settings["DB_PASSWORD"]},
    ).stdout


@dataclass
class Scaled:
    workdir: Path
    actions: Assistant
    replicas: list[Assistant]
    port: int
    nginx: subprocess.Popen | None = None
    _conf: Path = field(init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_nginx(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise RuntimeError("nginx is not installed: apt-get install nginx-light")
        servers = "\n".join(
            f"        server 127.0.0.1:{r.port} max_fails=1 fail_timeout=5s;" for r in self.replicas
        )
        self._conf = self.workdir / "nginx.conf"
        self._conf.write_text((HERE / "nginx.conf.template").read_text().format(
            workdir=self.workdir, servers=servers, host="127.0.0.1", port=self.port))
        self.nginx = subprocess.Popen([nginx, "-c", str(self._conf), "-p", str(self.workdir),
                                       "-g", "daemon off;"], start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                requests.get(self.url, timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("nginx did not start; see " + str(self.workdir / "nginx-error.log"))

    def stop(self) -> None:
        if self.nginx and self.nginx.poll() is None:
            os.killpg(self.nginx.pid, signal.SIGTERM)
            self.nginx.wait(timeout=10)
        for replica in self.replicas:
            replica.stop()
        self.actions.stop()


def start_scaled(workdir: Path, replicas: int = 2, port: int | None = None,
                 env: dict[str, str] | None = None) -> Scaled:
    """Start everything; returns once every replica reports ready."""
    settings = scaled_env(env)
    actions = make_assistant(workdir, settings)
    actions.start_actions()
    members = []
    for _ in range(replicas):
        # A replica is the unit of scale here: one worker each (nginx spreads the load).
        replica = make_assistant(workdir, {**settings, "ACTION_SERVER_URL": actions.env["ACTION_SERVER_URL"],
                                           "SANIC_WORKERS": "1"})
        replica.endpoints = "endpoints.scaled.yml"
        replica.start_rasa()
        members.append(replica)
    scaled = Scaled(workdir=workdir, actions=actions, replicas=members, port=port or free_port())
    try:
        for replica in members:
            replica.wait_ready()
        scaled.start_nginx()
    except BaseException:
        scaled.stop()
        raise
    return scaled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    scaled = start_scaled(Path(tempfile.mkdtemp(prefix="scaled-")), args.replicas, args.port)
    print(f"load balancer: {scaled.url}  replicas: {[r.base_url for r in scaled.replicas]}  Ctrl-C stops")
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        scaled.stop()


if __name__ == "__main__":
    main()
