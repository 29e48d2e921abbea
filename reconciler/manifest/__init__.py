"""Manifests: YAML documents of kind Deployment, OverridePreset and Settings, loaded into a DesiredState."""
