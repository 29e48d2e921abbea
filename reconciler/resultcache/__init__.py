"""The ``validate`` result cache: replay a validation whose inputs have not changed, without re-running it.

Effectful (reads the inputs' files, folders and environment; writes ``.comfyops/validate-cache/``).
Like ccache's direct mode, and the caches of ruff, mypy and pre-commit: a full run of ``comfyops
validate`` is watched by :mod:`.recorder`, which notes everything it reads (each file, each folder it
lists, each path whose existence or kind it checks, each environment variable it looks up) and
everything it prints; :mod:`.entries` saves that with the exit code under a key (:mod:`.key`) made of
what is known before the run (the comfyops version, a fingerprint of the installed code, the Python
interpreter, the full command line, the working directory and the output settings). A later run with
the same key whose recorded inputs all read the same again (contents hashed, never trusted to a
modification time) prints the saved output and exits with the saved code, without importing click,
pydantic, PyYAML, regopy or the manifest code.

It fails closed: any doubt (a read the recorder cannot attribute to a path, a write, a child process it
does not know, an unreadable input, an input that changed during the run, a corrupt or linked cache
file, an exception) means a full run and nothing saved. Saving is best effort: a failure to write is
never an error and never changes the output. ``validate --no-cache`` neither reuses nor saves.
"""
