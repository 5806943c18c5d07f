"""Cost: estimates computed from the shipped price table, the budget verdict, and advice that follows the priority."""

from __future__ import annotations

from generators.infra.cost import estimate
from generators.infra.cost import line_items
from generators.infra.cost import price_table
from generators.infra.design import design_infrastructure
from infra_support import produced

REQUIREMENTS = {"compute": "containers", "services": [{"name": "api", "port": 8000}], "databases": ["postgres"],
                "caches": ["redis"], "queues": [], "object_storage": True, "public": True, "unsupported": [],
                "evidence": []}


def design(priority: str = "balanced", limit: float | None = None, environment: str = "production"):
    budget = {"optimization_priority": priority, **({"monthly_limit": limit} if limit is not None else {})}
    return design_infrastructure(REQUIREMENTS, cloud="aws", environment=environment, compliance=[], budget=budget,
                                 repository="acme/shop", region=None)


def item(env: str, resource: str, priority: str = "balanced") -> float:
    subject = design(priority)
    return next(i["monthly"] for i in line_items(subject, subject.environment(env)) if i["resource"] == resource)


def test_the_price_table_cites_its_source_and_date() -> None:
    table = price_table()
    assert "us-east-1" in table["source"] and "aws.amazon.com" in table["source"]
    assert table["as_of"] == "2026-11-26" and "checked on 2026-11-26" in table["note"]
    assert 0 < table["checked"]["verified"] < table["checked"]["rates"]


def test_line_items_are_computed_from_the_table() -> None:
    hourly, monthly, hours = price_table()["hourly"], price_table()["monthly"], price_table()["hours_per_month"]
    # production: db.m6g.large Multi-AZ (two instances) + 100 GB Multi-AZ gp3
    assert item("production", "aws_db_instance") == round(2 * hours * hourly["db.m6g.large"]
                                                          + 100 * monthly["rds_gp3_gb_multi_az"], 2)
    # development: one single-AZ db.t4g.micro + 20 GB gp3
    assert item("development", "aws_db_instance") == round(hours * hourly["db.t4g.micro"]
                                                           + 20 * monthly["rds_gp3_gb"], 2)
    assert item("production", "aws_nat_gateway") == round(3 * hours * hourly["nat_gateway"]
                                                          + 500 * monthly["nat_gateway_gb"], 2)
    assert item("production", "aws_elasticache_replication_group") == round(2 * hours * hourly["cache.m6g.large"], 2)


def test_fargate_spot_share_lowers_the_compute_line() -> None:
    assert item("development", "aws_ecs_service", "cost") < item("development", "aws_ecs_service", "performance")


def test_totals_add_up_per_environment() -> None:
    report = estimate(design())
    for env, items in report["environments"].items():
        assert abs(report["totals"][env] - sum(i["monthly"] for i in items)) < 0.01
    assert abs(report["total_all"] - sum(report["totals"].values())) < 0.01


def test_an_estimate_over_budget_says_by_how_much() -> None:
    report = estimate(design(limit=500))
    budget = report["budget"]
    assert budget["within"] is False
    assert budget["exceeds_by"] == round(report["totals"]["production"] - 500, 2)
    body = produced("monorepo-written-requirements")["PULL_REQUEST.md"]
    assert "**Over budget:** staging is estimated at $" in body and "exceeds the $150.00 limit by **$" in body


def test_within_budget_is_said_and_sets_the_alert_to_the_limit() -> None:
    report = estimate(design(limit=5000))
    assert report["budget"]["within"] and report["alert_budgets"]["production"] == 5000
    tfvars = produced("needs-database-production")["infra/aws/environments/production/terraform.tfvars"]
    assert "monthly_budget          = 2000\n" in tfvars


def test_closing_names_the_largest_savings_that_cover_the_overrun() -> None:
    report = estimate(design(limit=report_total() - 100))
    closing = report["budget"]["closing"]
    savings = {r["kind"]: r["monthly_savings"] for r in report["recommendations"] if r["environment"] == "production"}
    assert closing and sum(savings[kind] for kind in closing) >= 100
    assert sum(savings[kind] for kind in closing[:-1]) < 100


def report_total() -> float:
    return estimate(design())["totals"]["production"]


def test_the_priority_changes_the_recommendations() -> None:
    balanced = {r["kind"] for r in estimate(design("balanced"))["recommendations"]}
    cost = {r["kind"] for r in estimate(design("cost"))["recommendations"]}
    performance = {r["kind"] for r in estimate(design("performance"))["recommendations"]}
    assert {"right_size_database", "right_size_tasks", "single_nat"} <= balanced
    assert not {"right_size_database", "right_size_tasks", "single_nat"} & cost  # already the small choices
    assert "spot" in performance and "spot" not in cost  # cost already runs non-production on Spot
    assert "no_interface_endpoints" not in {r["kind"] for r in estimate(design("cost"))["recommendations"]
                                            if r["environment"] != "production"}


def test_every_recommendation_has_a_positive_saving_and_the_kinds_the_spec_asks_for() -> None:
    report = estimate(design("balanced"))
    assert all(r["monthly_savings"] > 0 for r in report["recommendations"])
    kinds = {r["kind"] for r in report["recommendations"]}
    assert {"right_size_database", "reserved_database", "savings_plan", "spot", "storage_tiering"} <= kinds


def test_the_cost_is_lower_with_the_cost_priority() -> None:
    assert estimate(design("cost"))["totals"]["production"] < estimate(design("balanced"))["totals"]["production"] \
        < estimate(design("performance"))["totals"]["production"]


def serverless(priority: str = "balanced"):
    return design_infrastructure({**REQUIREMENTS, "compute": "serverless"}, cloud="aws", environment="production",
                                 compliance=[], budget={"optimization_priority": priority}, repository="acme/shop",
                                 region=None)


def test_serverless_prices_requests_duration_warm_instances_and_api_requests_from_the_table() -> None:
    subject, usage = serverless(), price_table()["usage"]
    production = {i["resource"]: i["monthly"] for i in line_items(subject, subject.environment("production"))}
    # 30 million requests of 200 ms at 1 GB, plus 2 warm 1 GB instances for 730 hours
    invocations = 30 * (usage["lambda_million_requests"] + 0.2 * usage["lambda_million_gb_seconds_arm"])
    warm = 2 * 730 * 3600 / 1e6 * usage["lambda_provisioned_million_gb_seconds_arm"]
    assert production["aws_lambda_function"] == round(invocations + warm, 2)
    assert production["aws_api_gateway_rest_api"] == round(30 * usage["api_gateway_rest_million_requests"], 2)
    assert "aws_lb" not in production and "aws_ecs_service" not in production


def test_serverless_advice_fits_functions_and_never_suggests_spot_or_schedules() -> None:
    report = estimate(serverless())
    kinds = {r["kind"] for r in report["recommendations"]}
    assert {"savings_plan", "right_size_functions", "no_provisioned_concurrency", "http_api"} <= kinds
    assert not {"spot", "scheduled_scaling", "right_size_tasks"} & kinds
    by_kind, usage = {r["kind"]: r["monthly_savings"] for r in report["recommendations"]}, price_table()["usage"]
    # 512 MB instead of 1024 halves the duration and the warm instances (which it keeps: that is another advice)
    half = (30 * 0.2 * 0.5 * usage["lambda_million_gb_seconds_arm"]
            + 2 * 0.5 * 730 * 3600 / 1e6 * usage["lambda_provisioned_million_gb_seconds_arm"])
    assert by_kind["right_size_functions"] == round(half, 2)
    assert estimate(serverless("cost"))["totals"]["production"] < report["totals"]["production"]


def eks(priority: str = "balanced"):
    return design_infrastructure({**REQUIREMENTS, "orchestrator": "eks"}, cloud="aws", environment="production",
                                 compliance=[], budget={"optimization_priority": priority}, repository="acme/shop",
                                 region=None)


def test_eks_prices_the_control_plane_and_the_nodes_split_by_the_spot_share() -> None:
    subject, hourly, hours = eks(), price_table()["hourly"], price_table()["hours_per_month"]
    volume = 20 * price_table()["monthly"]["ebs_gp3_gb"]
    development = {i["resource"]: i for i in line_items(subject, subject.environment("development"))}
    production = {i["resource"]: i for i in line_items(subject, subject.environment("production"))}
    assert production["aws_eks_cluster"]["monthly"] == round(hours * hourly["eks_cluster"], 2)
    # production: 3 on-demand m7g.large; development: 2 t4g.medium, half of them on Spot
    assert production["aws_eks_node_group"]["monthly"] == round(3 * (hours * hourly["m7g.large"] + volume), 2)
    spot = hours * hourly["t4g.medium"] * (1 - hourly["ec2_spot_discount"])
    assert development["aws_eks_node_group"]["monthly"] == round(hours * hourly["t4g.medium"] + spot + 2 * volume, 2)
    assert "1 on-demand + 1 Spot t4g.medium nodes" in development["aws_eks_node_group"]["detail"]
    assert "aws_ecs_service" not in production


def test_eks_advice_names_nodes() -> None:
    kinds = {(r["environment"], r["kind"]) for r in estimate(eks())["recommendations"]}
    assert {("production", "right_size_nodes"), ("production", "savings_plan"), ("development", "spot")} <= kinds
    assert ("production", "right_size_tasks") not in kinds
    assert all("node" in r["text"] for r in estimate(eks())["recommendations"] if r["kind"] in ("spot", "savings_plan"))
