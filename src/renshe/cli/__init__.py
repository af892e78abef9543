"""The ``renshe`` command line."""
