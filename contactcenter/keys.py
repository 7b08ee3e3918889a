"""Every typed key stored on the aiohttp application or request, in one place."""

from __future__ import annotations

import asyncpg
from aiohttp import web
from arq import ArqRedis

from contactcenter.actions.group_commit import GroupCommitter
from contactcenter.api.accounts_cache import AccountCache
from contactcenter.models import User
from contactcenter.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", asyncpg.Pool)
REDIS = web.AppKey("redis", ArqRedis)
COMMITTER = web.AppKey("committer", GroupCommitter)
ACCOUNTS = web.AppKey("accounts", AccountCache)

USER = web.RequestKey("user", User)
