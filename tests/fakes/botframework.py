"""A fake Microsoft Bot Framework service on loopback.

It serves what the Teams channel talks to -- OpenID metadata, the signing
keys (JWKS, a locally generated RSA key), the token endpoint (per tenant:
``/{tenant}/oauth2/v2.0/token``) and the conversations API under any
``serviceUrl`` prefix (``/emea/v3/conversations/...``), which records every
reply -- and signs the tokens that incoming test activities carry, valid or
deliberately broken.

Failures can be scripted: ``activity_failures`` and ``token_failures`` are
queues of ``Failure`` answers given before the service answers normally, and
``revoke_current_token()`` makes the connector refuse the token it issued
(401), as when Azure rotates a bot's credentials.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Sequence
from urllib.parse import unquote

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.lru_cache(maxsize=1)
def shared_key() -> rsa.RSAPrivateKey:
    """The fake service's usual key, generated once per test run (it takes a while)."""
    return new_key()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unsigned_token(claims: dict[str, Any], header: dict[str, Any]) -> str:
    """A token with ``alg: none`` and no signature."""
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def hmac_token(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """HS256 signed with ``secret`` (the classic attack: the RSA public key as an HMAC secret)."""
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


# The connector's paths, after any serviceUrl prefix such as /emea or /amer.
_ACTIVITIES = re.compile(
    r"(?P<prefix>(?:/[^/]+)*?)/v3/conversations/(?P<conversation_id>[^/]+)/activities(?:/(?P<reply_to_id>[^/]+))?"
)
_TOKEN = re.compile(r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token")


@dataclass
class Reply:
    conversation_id: str
    activity: dict[str, Any]
    authorization: str | None
    path: str = ""  # as sent (still percent-encoded)
    prefix: str = ""  # the serviceUrl's path before /v3, e.g. "/emea"
    reply_to_id: str | None = None  # from the URL: .../activities/{replyToId}


@dataclass(frozen=True)
class Failure:
    """One scripted error answer: a status and its headers (e.g. Retry-After)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None


@dataclass
class FakeBotFramework:
    key_id: str = "fake-key-1"
    endorsements: Sequence[str] = ("msteams",)
    fail_metadata: bool = False
    private_key: rsa.RSAPrivateKey = field(default_factory=shared_key)
    access_token: str = field(default_factory=lambda: f"bot-token-{uuid.uuid4().hex}")
    replies: list[Reply] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    token_tenants: list[str] = field(default_factory=list)  # the tenant in each token request's path
    metadata_requests: int = 0
    activity_attempts: int = 0  # every POST to the conversations API, failed or not
    unmatched_paths: list[str] = field(default_factory=list)  # e.g. //v3/... (double slash): answered 404
    activity_failures: list[Failure] = field(default_factory=list)
    token_failures: list[Failure] = field(default_factory=list)
    revoked_tokens: set[str] = field(default_factory=set)
    base_url: str = ""
    _runner: web.AppRunner | None = None

    # -- the service ---------------------------------------------------------
    async def start(self) -> FakeBotFramework:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        app.router.add_post("/{path:.*}", self._post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def openid_metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/tenant/oauth2/v2.0/token"

    @property
    def login_url(self) -> str:
        """Stands in for https://login.microsoftonline.com: tokens at {login_url}/{tenant}/oauth2/v2.0/token."""
        return self.base_url

    @property
    def service_url(self) -> str:
        return f"{self.base_url}/"

    def prefixed_service_url(self, prefix: str) -> str:
        """A regional serviceUrl, as Teams sends them: https://smba.trafficmanager.net/emea/."""
        return f"{self.base_url}/{prefix.strip('/')}/"

    def revoke_current_token(self) -> str:
        """The connector now refuses the token it issued last (401); the next token request gets a new one."""
        revoked = self.access_token
        self.revoked_tokens.add(revoked)
        self.access_token = f"bot-token-{uuid.uuid4().hex}"
        return revoked

    @staticmethod
    def _failure_response(failure: Failure) -> web.Response:
        if failure.body is not None:
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        return web.Response(status=failure.status, headers=failure.headers)

    async def _metadata(self, _: web.Request) -> web.Response:
        self.metadata_requests += 1
        if self.fail_metadata:
            return web.Response(status=500)
        return web.json_response(
            {
                "issuer": ISSUER,
                "jwks_uri": f"{self.base_url}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _keys(self, _: web.Request) -> web.Response:
        key = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        key.update({"kid": self.key_id, "use": "sig", "endorsements": list(self.endorsements)})
        return web.json_response({"keys": [key]})

    async def _post(self, request: web.Request) -> web.Response:
        path = request.raw_path.split("?", 1)[0]
        token = _TOKEN.fullmatch(path)
        if token is not None:
            return await self._token(request, unquote(token.group("tenant")))
        activities = _ACTIVITIES.fullmatch(path)
        if activities is not None and "//" not in path:
            return await self._activity(request, activities, path)
        self.unmatched_paths.append(path)
        return web.Response(status=404)

    async def _token(self, request: web.Request, tenant: str) -> web.Response:
        self.token_requests.append(dict(await request.post()))
        self.token_tenants.append(tenant)
        if self.token_failures:
            return self._failure_response(self.token_failures.pop(0))
        return web.json_response({"token_type": "Bearer", "expires_in": 3600, "access_token": self.access_token})

    async def _activity(self, request: web.Request, match: re.Match[str], path: str) -> web.Response:
        self.activity_attempts += 1
        authorization = request.headers.get("Authorization")
        if authorization is None or authorization.removeprefix("Bearer ") in self.revoked_tokens:
            return web.json_response({"error": {"code": "Unauthorized"}}, status=401)
        if self.activity_failures:
            return self._failure_response(self.activity_failures.pop(0))
        reply_to_id = match.group("reply_to_id")
        self.replies.append(
            Reply(
                unquote(match.group("conversation_id")),
                await request.json(),
                authorization,
                path=path,
                prefix=match.group("prefix"),
                reply_to_id=unquote(reply_to_id) if reply_to_id is not None else None,
            )
        )
        return web.json_response({"id": uuid.uuid4().hex})

    # -- tokens for incoming activities ---------------------------------------
    def claims(self, app_id: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": app_id,
            "iat": now - 10,
            "nbf": now - 10,
            "exp": now + 3600,
            "serviceurl": self.service_url,
        }
        claims.update(overrides)
        return {key: value for key, value in claims.items() if value is not None}

    def sign(
        self,
        claims: dict[str, Any],
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
    ) -> str:
        pem = (key or self.private_key).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid or self.key_id})

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
