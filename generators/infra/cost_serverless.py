"""Serverless compute in the cost estimate: Lambda requests, duration and warm instances, API Gateway requests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from generators.infra.model import Environment
from generators.infra.model import InfraDesign

AVERAGE_MS = 200  # assumed average duration of one invocation; the PR shows it next to the figures
SECONDS_PER_MONTH = 730 * 3600


def functions_cost(env: Environment, services: int, usage: dict[str, float]) -> tuple[float, float]:
    """(invocations: requests + duration, provisioned concurrency) per month for all functions."""
    size = env.sizing
    gigabytes = size.function_memory / 1024
    requests = size.monthly_requests_millions
    invocations = requests * (usage["lambda_million_requests"]
                              + AVERAGE_MS / 1000 * gigabytes * usage["lambda_million_gb_seconds_arm"])
    warm = (services * size.provisioned_concurrency * gigabytes * SECONDS_PER_MONTH / 1e6
            * usage["lambda_provisioned_million_gb_seconds_arm"])
    return invocations, warm


def line_items(design: InfraDesign, env: Environment, prices: dict[str, Any]) -> list[tuple[str, str, float]]:
    """(resource, what is priced, monthly) for the functions and, when public, their APIs."""
    size, usage = env.sizing, prices["usage"]
    invocations, warm = functions_cost(env, len(design.services), usage)
    warm_text = (f", {size.provisioned_concurrency} provisioned per function"
                 if size.provisioned_concurrency else ", no provisioned concurrency")
    items = [("aws_lambda_function", f"{len(design.services)} function(s) of {size.function_memory} MB Arm, "
              f"{size.monthly_requests_millions} million requests of {AVERAGE_MS} ms{warm_text}", invocations + warm)]
    if design.public:
        items.append(("aws_api_gateway_rest_api", f"{size.monthly_requests_millions} million REST API requests",
                      size.monthly_requests_millions * usage["api_gateway_rest_million_requests"]))
    return items


def recommendations(design: InfraDesign, prices: dict[str, Any]) -> list[tuple[str, str, str, float]]:
    """(environment, kind, text, monthly savings): savings plan, memory, warm instances, HTTP API."""
    from generators.infra.design import sizing

    usage, savings = prices["usage"], prices["savings"]
    production = design.environment("production")
    size, services = production.sizing, len(design.services)
    invocations, warm = functions_cost(production, services, usage)
    share = savings["compute_savings_plan_1yr_no_upfront_lambda"]
    found = [("production", "savings_plan", "Cover the functions' duration and provisioned concurrency with a "
              f"one-year Compute Savings Plan (about {share:.0%} off).",
              (invocations - size.monthly_requests_millions * usage["lambda_million_requests"] + warm) * share)]
    if design.priority != "cost":
        cheaper = sizing("production", "cost", design.compliance)
        if cheaper.function_memory < size.function_memory:
            smaller = Environment(production.name, production.cidr,
                                  replace(size, function_memory=cheaper.function_memory))
            found.append(("production", "right_size_functions", "If the functions' duration stays about the same "
                          f"with less memory (CPU shrinks with it), give them {cheaper.function_memory} MB instead "
                          f"of {size.function_memory} MB.",
                          sum(functions_cost(production, services, usage))
                          - sum(functions_cost(smaller, services, usage))))
        if size.provisioned_concurrency:
            found.append(("production", "no_provisioned_concurrency", f"Drop the {size.provisioned_concurrency} "
                          "warm instances per function if cold starts of a second or two are acceptable.", warm))
    if design.public:
        found.append(("production", "http_api", "HTTP APIs cost less per request than REST APIs, but AWS WAF "
                      "cannot protect them; switch only if the web ACL is not required.",
                      size.monthly_requests_millions * (usage["api_gateway_rest_million_requests"]
                                                        - usage["api_gateway_http_million_requests"])))
    return found
