"""``comfyops validate``: check manifests, workflow files and overrides offline, in every environment."""

from __future__ import annotations

from collections.abc import Sequence

import click

from reconciler.cli import output
from reconciler.cli.followups import followup
from reconciler.cli.manifests import (
    checked,
    files_option,
    load_desired,
    load_result,
    read_files,
    report_skipped,
    selected_environment,
)
from reconciler.cli.summary import publish, summary_option
from reconciler.diagnostics import Diagnostic
from reconciler.errors import DiagnosticsError, ReconcilerError
from reconciler.manifest.desired import DesiredState
from reconciler.manifest.load import LoadResult, ReadManifests
from reconciler.manifest.model import SettingsDocument
from reconciler.render import manifests as printing
from reconciler.render.validation import validation_markdown
from reconciler.session.policycheck import policy_problems, refuse_broken_policies


@click.command("validate")
@files_option
@click.option("--print", "print_manifests", is_flag=True,
              help="Print the resolved manifests (of the --env environment) as YAML.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: every problem with file, line, column, field, message and hint, for editors and CI.")
@summary_option
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Neither replay a saved result nor save this one (.comfyops/validate-cache/).")
def command(files: tuple[str, ...], print_manifests: bool, fmt: str, summary: bool, no_cache: bool) -> int:
    """Check manifests offline: schema, references, limits, and overrides against workflow files.

    With Environment documents and no --env, every environment is checked. A run whose inputs (files,
    folders, environment variables, options) are unchanged since a saved one replays its result.
    """
    del no_cache  # the result cache runs around the command line (reconciler.entry), before click
    chosen = selected_environment()
    if print_manifests:
        _print(files, chosen)
        return 0
    if fmt == "json":
        return _as_json(files, chosen)
    verdicts: list[str] = []
    try:
        _validate(files, chosen, verdicts)
    except ReconcilerError as exc:
        problems: list[Diagnostic] = exc.diagnostics if isinstance(exc, DiagnosticsError) else []
        failure = exc.summary
        publish(summary, lambda: validation_markdown(verdicts, problems, failure=failure))
        raise
    publish(summary, lambda: validation_markdown(verdicts, []))
    return 0


def _as_json(files: tuple[str, ...], chosen: str | None) -> int:
    """``validate --format json``: every environment's verdict and problems as one JSON document on stdout;
    exit 1 when any environment is invalid."""
    from reconciler.render.validation import EnvironmentVerdict, validation_json

    base = load_result(files, chosen)
    if chosen is not None and chosen not in base.environments:
        checked(base, chosen, lambda first: first)  # raises: an unknown environment, listing them
    names: list[str | None] = [chosen] if chosen is not None else list(base.environments) or [None]
    results = {name: base if name == chosen or not base.environments else load_result(files, name)
               for name in names}
    verdicts = []
    for name, result in results.items():
        problems = list(result.problems)
        state = result.state
        if state is not None:
            problems += policy_problems(state)
        verdicts.append(EnvironmentVerdict(
            name=name, problems=problems,
            deployments=len(state.deployments) if state is not None else None,
            presets=len(state.presets) if state is not None else None,
        ))
    output.echo(validation_json(verdicts), nl=False)
    return 0 if all(v.valid for v in verdicts) else 1


def _validate(files: tuple[str, ...], chosen: str | None, verdicts: list[str]) -> None:
    """Validate (one environment, the only set, or every environment), echoing each verdict line."""

    def verdict(line: str) -> None:
        output.echo(line)
        verdicts.append(line)

    read = read_files(files)  # parsed once, however many environments are then resolved from it
    if _names_policies(read):
        from reconciler.policy import rego

        rego.prestart()  # the Rego worker loads while the environments are resolved
    if chosen is not None:
        state = load_desired(files, chosen, read=read)
        refuse_broken_policies(output.diagnostics, state)
        verdict(f"{chosen}: {_counts(state)}: valid")
        return
    base = load_result(files, None, read=read)
    if not base.environments:
        report_skipped(base)
        state = checked(base, None, lambda _first: "")  # no environment to choose: the base manifests are the state
        refuse_broken_policies(output.diagnostics, state)
        verdict(f"{_counts(state)}: valid")
        return
    report_skipped(base)
    results = {name: load_result(files, name, read=read) for name in base.environments}
    policies = _policy_problems(results)
    unique = _print_all([*(r.problems for r in results.values()), *policies.values()])
    invalid = [name for name, result in results.items()
               if result.state is None or any(p.is_error for p in policies.get(name, []))]
    for name, result in results.items():
        if result.state is not None and name not in invalid:
            verdict(f"{name}: {_counts(result.state)}: valid")
    if invalid:
        count = len([p for p in unique if p.is_error])
        raise DiagnosticsError(
            unique, f"manifests are invalid in {', '.join(invalid)}: {count} problem{'s' if count != 1 else ''}"
        )


def _names_policies(read: ReadManifests) -> bool:
    """Whether a Settings document names Rego policies (the check will then run)."""
    return any(isinstance(p.model, SettingsDocument) and p.model.spec.policy.paths for p in read.parsed)


def _policy_problems(results: dict[str, LoadResult]) -> dict[str, list[Diagnostic]]:
    """Each loadable environment's policy problems; environments naming the same policies share one check."""
    done: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Diagnostic]] = {}
    found: dict[str, list[Diagnostic]] = {}
    for name, result in results.items():
        if result.state is None:
            continue
        key = (result.state.policy_paths, tuple(result.state.settings.policy.namespaces))
        if key not in done:
            done[key] = policy_problems(result.state)
        found[name] = done[key]
    return found


def _print_all(problem_lists: Sequence[Sequence[Diagnostic]]) -> list[Diagnostic]:
    """Every environment's problems, each printed once even when several environments share it."""
    seen: set[str] = set()
    unique = []
    for problems in problem_lists:
        for problem in problems:
            if problem.format() not in seen:
                seen.add(problem.format())
                unique.append(problem)
    output.diagnostics(unique)
    return unique


def _print(files: tuple[str, ...], chosen: str | None) -> None:
    result = load_result(files, chosen)
    checked(result, chosen, lambda first: "e.g. " + followup("validate", "--env", first, "--print"))
    header = f"comfyops validate --print: environment {chosen}" if chosen else "comfyops validate --print"
    text = printing.to_yaml(printing.resolved_documents(result.documents), header=header)
    output.echo(text, nl=False)


def _counts(state: DesiredState) -> str:
    deployments, presets = len(state.deployments), len(state.presets)
    return f"{deployments} deployment{'s' if deployments != 1 else ''}, {presets} preset{'s' if presets != 1 else ''}"
