"""Background jobs: the jobs table is the source of truth; Dramatiq only carries the wake-up."""
