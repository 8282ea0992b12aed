"""scheduler adapter: the clock. One APScheduler per process, holding no state of its own.

Every job is a sweep over the database, which stays the only source of truth: a restart,
downtime or a second process loses nothing and doubles nothing, because the core claims each
row it acts on (APScheduler 3 cannot share a job store between processes; we never need to).
"""
