"""The base of the declarative knowledge models (pydantic): unknown fields are
refused and a loaded model cannot be changed, so a typo in a knowledge file is
an error naming the file and field, never a silently ignored setting."""
from __future__ import annotations

from pydantic import BaseModel, Extra


class StrictModel(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False
