"""Manifests: YAML documents of kind Deployment, OverridePreset, Settings and Environment, loaded into a
DesiredState.

Pure: values in, values out; the files the manifests name are read only through the bounded input
readers (:mod:`reconciler.readfile`, the folder walk in :mod:`.files`), and the environment is passed in.
"""
