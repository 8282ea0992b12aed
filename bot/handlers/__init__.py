"""Routers, one per feature; each module builds its router in `build_router()`."""
