"""PromQL for the CI quality dashboard, per CI platform, over the metric names a real exporter publishes.

gitlab_ci: mvisonneau/gitlab-ci-pipelines-exporter (docs/metrics.md); the environment metrics need
`project_defaults.pull.environments.enabled: true` in its configuration.
github_actions: Labbs/github-actions-exporter (pkg/metrics): one `github_workflow_run_status` series per run,
labelled repo, id, node_id, head_branch, head_sha, run_number, workflow_id, workflow, event, status, with the
value 1 for success, 0 for failure, 2 skipped, 3 in progress, 4 queued.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field

# Subquery resolution for edge detection: the exporters refresh every 30 s to a few minutes.
STEP = "5m"
STEP_SECONDS = 300


@dataclass(frozen=True)
class Exporter:
    """A CI exporter: its name and docs, dashboard variables (name -> label_values query) and panel queries."""

    name: str
    url: str
    variables: dict[str, str]
    queries: dict[str, str]
    missing: dict[str, str] = field(default_factory=dict)  # panel key -> why the exporter cannot show it
    alerts: list[dict[str, object]] = field(default_factory=list)


def promql_string(value: str) -> str:
    """A PromQL double-quoted string literal (Go escaping; JSON's is a subset it accepts)."""
    return json.dumps(str(value), ensure_ascii=False)


def gitlab(default_branch: str, coverage_threshold: float) -> Exporter:
    """gitlab-ci-pipelines-exporter: every panel, DORA from the environment (deployment) metrics."""
    sel = 'project=~"$project", ref=~"$ref"'
    env = 'project=~"$project", environment=~"$environment"'
    failed = f'gitlab_ci_environment_deployment_status{{{env}, status="failed"}}'
    # A rising edge of "the latest deployment failed" is one failed change.
    failures = f"sum by (environment) (count_over_time(({failed} == 1 unless {failed} offset {STEP} == 1)[30d:{STEP}]))"
    failed_time = f"sum by (environment) (count_over_time(({failed} == 1)[30d:{STEP}])) * {STEP_SECONDS}"
    deployments = f"sum by (environment) (increase(gitlab_ci_environment_deployment_count{{{env}}}[30d]))"
    branch = promql_string(default_branch)
    return Exporter(
        name="gitlab-ci-pipelines-exporter",
        url="https://github.com/mvisonneau/gitlab-ci-pipelines-exporter",
        variables={
            "project": "label_values(gitlab_ci_pipeline_status, project)",
            "ref": 'label_values(gitlab_ci_pipeline_status{project=~"$project"}, ref)',
            "environment": 'label_values(gitlab_ci_environment_deployment_count{project=~"$project"}, environment)',
        },
        queries={
            "build_status": f'max by (project, ref) (gitlab_ci_pipeline_status{{{sel}, status="success"}})',
            "build_duration": f"max by (project, ref) (gitlab_ci_pipeline_duration_seconds{{{sel}}})",
            "test_coverage": f"max by (project, ref) (gitlab_ci_pipeline_coverage{{{sel}}})",
            "deployment_frequency": f"sum by (environment) (increase(gitlab_ci_environment_deployment_count{{{env}}}[1d]))",
            "lead_time": f"max by (environment) (gitlab_ci_environment_behind_duration_seconds{{{env}}})",
            "change_failure_rate": f"{failures} / {deployments}",
            "time_to_restore": f"{failed_time} / {failures}",
        },
        alerts=[
            {"alert": "CIPipelineFailing", "for": "15m", "severity": "warning",
             "expr": f'max by (project, ref) (gitlab_ci_pipeline_status{{ref={branch}, status="failed"}}) == 1',
             "summary": "The latest pipeline on the default branch failed."},
            {"alert": "CICoverageBelowThreshold", "for": "1h", "severity": "warning",
             "expr": f"max by (project, ref) (gitlab_ci_pipeline_coverage{{ref={branch}}}) < {coverage_threshold:g}",
             "summary": f"Test coverage on the default branch is below {coverage_threshold:g}%."},
            {"alert": "CIDeploymentFailed", "for": "30m", "severity": "critical",
             "expr": 'max by (project, environment) (gitlab_ci_environment_deployment_status{status="failed"}) == 1',
             "summary": "The latest deployment of an environment failed and has not been replaced."},
        ],
    )


def github(default_branch: str, coverage_threshold: float) -> Exporter:
    """github-actions-exporter: build status and duration; deployments are pushes to the default branch."""
    runs = 'github_workflow_run_status{repo=~"$repo", workflow=~"$workflow", status="completed"}'
    pushes = ('github_workflow_run_status{repo=~"$repo", workflow=~"$workflow", head_branch=~"$branch", '
              'event="push", status="completed"}')
    branch = promql_string(default_branch)
    return Exporter(
        name="github-actions-exporter",
        url="https://github.com/Labbs/github-actions-exporter",
        variables={
            "repo": "label_values(github_workflow_run_status, repo)",
            "workflow": 'label_values(github_workflow_run_status{repo=~"$repo"}, workflow)',
            "branch": 'label_values(github_workflow_run_status{repo=~"$repo"}, head_branch)',
        },
        queries={
            # Values above 1 are skipped or unfinished runs; `<= 1` keeps success (1) and failure (0).
            "build_status": f"avg by (repo, workflow) (last_over_time({runs}[1d]) <= 1)",
            "build_duration": ("avg by (repo, workflow) (last_over_time(github_workflow_run_duration_ms"
                               '{repo=~"$repo", workflow=~"$workflow", status="completed"}[1d])) / 1000'),
            "deployment_frequency": f"count by (repo) (last_over_time({pushes}[1d]) == 1)",
            "change_failure_rate": f"1 - avg by (repo) (last_over_time({pushes}[30d]) <= 1)",
        },
        missing={
            "test_coverage": "github-actions-exporter does not export coverage; the CI run publishes it "
                             "as a report artifact and in the job summary.",
            "lead_time": "github-actions-exporter has no commit or deployment timestamps, so lead time for "
                         "changes cannot be computed from it.",
            "time_to_restore": "github-actions-exporter keeps no deployment history, so time to restore "
                               "cannot be computed from it.",
        },
        alerts=[
            {"alert": "CIWorkflowFailing", "for": "15m", "severity": "warning",
             "expr": ("count by (repo, workflow) (last_over_time(github_workflow_run_status"
                      f'{{head_branch={branch}, status="completed"}}[1h]) == 0) > 0'),
             "summary": "A workflow run on the default branch failed in the last hour."},
        ],
    )


PROFILES = {"gitlab_ci": gitlab, "github_actions": github}
