"""A fake Microsoft Bot Framework service on loopback.

It serves what the Teams channel talks to -- OpenID metadata, the signing
keys (JWKS, a locally generated RSA key), the token endpoint and the
conversations API, which records every reply -- and signs the tokens that
incoming test activities carry, valid or deliberately broken.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

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


def unsigned_token(claims: Dict[str, Any], header: Dict[str, Any]) -> str:
    """A token with ``alg: none`` and no signature."""
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def hmac_token(claims: Dict[str, Any], secret: bytes, kid: str) -> str:
    """HS256 signed with ``secret`` (the classic attack: the RSA public key as an HMAC secret)."""
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


@dataclass
class Reply:
    conversation_id: str
    activity: Dict[str, Any]
    authorization: Optional[str]


@dataclass
class FakeBotFramework:
    key_id: str = "fake-key-1"
    endorsements: Sequence[str] = ("msteams",)
    fail_metadata: bool = False
    private_key: rsa.RSAPrivateKey = field(default_factory=shared_key)
    access_token: str = field(default_factory=lambda: f"bot-token-{uuid.uuid4().hex}")
    replies: List[Reply] = field(default_factory=list)
    token_requests: List[Dict[str, str]] = field(default_factory=list)
    metadata_requests: int = 0
    base_url: str = ""
    _runner: Optional[web.AppRunner] = None

    # -- the service ---------------------------------------------------------
    async def start(self) -> "FakeBotFramework":
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        app.router.add_post("/tenant/oauth2/v2.0/token", self._token)
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._activity)
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
    def service_url(self) -> str:
        return f"{self.base_url}/"

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

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests.append(dict(await request.post()))
        return web.json_response({"token_type": "Bearer", "expires_in": 3600, "access_token": self.access_token})

    async def _activity(self, request: web.Request) -> web.Response:
        self.replies.append(
            Reply(request.match_info["conversation_id"], await request.json(), request.headers.get("Authorization"))
        )
        return web.json_response({"id": uuid.uuid4().hex})

    # -- tokens for incoming activities ---------------------------------------
    def claims(self, app_id: str, **overrides: Any) -> Dict[str, Any]:
        now = int(time.time())
        claims: Dict[str, Any] = {
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
        claims: Dict[str, Any],
        key: Optional[rsa.RSAPrivateKey] = None,
        kid: Optional[str] = None,
    ) -> str:
        pem = (key or self.private_key).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid or self.key_id})

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
