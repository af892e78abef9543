"""One module of actors per domain. Each actor is named like its job kind and only calls the runner."""
