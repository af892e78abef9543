"""The Dramatiq side of renshe: broker and middleware, one thin actor module per domain, and the
scheduler. Actors only load a job and hand it to :func:`renshe.jobs.runner.run`; all logic lives
in ``src/renshe`` (which never imports this package)."""
