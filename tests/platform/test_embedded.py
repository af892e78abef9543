"""The embedded default: real PostgreSQL and Valkey from wheels, started once and reused."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import asyncpg
import redis

from renshe import embedded
from renshe.db import urls


def _pids(data_dir: Path) -> tuple[int, int]:
    """The running PostgreSQL postmaster's and Valkey's process ids."""
    postmaster = int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])
    valkey = int((data_dir / "valkey" / "valkey.pid").read_text().strip())
    return postmaster, valkey


def test_embedded_servers_start_reuse_and_stop() -> None:
    # a short path: the Unix sockets live under the data dir
    data_dir = Path(tempfile.mkdtemp(prefix="rs-emb-"))
    try:
        pg = embedded.postgres_url(data_dir)
        kv = embedded.valkey_url(data_dir)
        assert embedded.postgres_running(data_dir)

        async def version() -> int:
            conn = await asyncpg.connect(**urls.asyncpg_kwargs(pg))
            try:
                return int(await conn.fetchval("SHOW server_version_num"))
            finally:
                await conn.close()

        assert asyncio.run(version()) >= 150000
        client = redis.Redis.from_url(kv)
        client.set("k", "v")
        assert client.get("k") == b"v"
        client.close()

        servers = _pids(data_dir)
        assert embedded.postgres_url(data_dir) == pg
        assert embedded.valkey_url(data_dir) == kv
        assert _pids(data_dir) == servers  # found running, not started again
    finally:
        embedded.wipe(data_dir)
    assert not embedded.postgres_running(data_dir)
