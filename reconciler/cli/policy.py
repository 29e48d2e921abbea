"""``comfyops policy test``: run the ``test_*`` rules of the Rego policies, as ``opa test`` does."""

from __future__ import annotations

import click

from reconciler.cli import output
from reconciler.cli.manifests import files_option, load_desired, load_result, selected_environment
from reconciler.errors import DiagnosticsError, ReconcilerError
from reconciler.policy import testing
from reconciler.render.policy_tests import render_tests


@click.group("policy")
def command() -> None:
    """Rego policy checks on plans (Settings.policy)."""


@command.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@files_option
def test_command(paths: tuple[str, ...], files: tuple[str, ...]) -> int:
    """Run the test_* rules of PATHS (Rego files or folders), or of every Settings.policy.paths in the manifests.

    \b
    Examples:
      comfyops policy test examples/policies
      comfyops policy test -f examples
    """
    chosen = list(paths) or _paths_from_manifests(files)
    results, problems = testing.run_tests(chosen)
    if problems:
        output.diagnostics(problems)
        raise DiagnosticsError(problems, f"policy tests could not run: {len(problems)} problem"
                                         f"{'s' if len(problems) != 1 else ''}")
    if not results:
        output.echo(f"no test_* rules found in {', '.join(chosen)}", err=True)
        return 1
    output.echo(render_tests(results), nl=False)
    return 0 if all(r.outcome is testing.Outcome.PASS for r in results) else 1


def _paths_from_manifests(files: tuple[str, ...]) -> list[str]:
    """Policy paths of the selected environment, or of the base and every environment."""
    chosen = selected_environment()
    if chosen is not None:
        found = list(load_desired(files, chosen).policy_paths)
    else:
        base = load_result(files, None)
        names = [None, *base.environments]
        found = []
        for name in names:
            state = load_result(files, name).state
            found.extend(p for p in (state.policy_paths if state is not None else ()) if p not in found)
    if not found:
        raise ReconcilerError(
            "no policies to test: name Rego files or folders, or set Settings.policy.paths in the manifests",
            "e.g. `comfyops policy test policies/`",
        )
    return found
