"""``python -m reconciler`` runs the ``comfyops`` command line."""

from reconciler.entry import main

if __name__ == "__main__":
    main()
