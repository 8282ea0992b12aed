"""Routers, one per feature (a package when it has sub-features), each from `get_router()`."""
