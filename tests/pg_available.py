"""Exit 0 when PostgreSQL answers at the URL given as argv[1] (used by `make test-postgres`)."""

import asyncio
import sys


async def _check(url: str) -> bool:
    import asyncpg

    try:
        conn = await asyncio.wait_for(asyncpg.connect(url.replace("asyncpg://", "postgres://")), 5)
    except Exception:  # any failure means "not available"
        return False
    await conn.close()
    return True


if __name__ == "__main__":
    raise SystemExit(0 if asyncio.run(_check(sys.argv[1])) else 1)
