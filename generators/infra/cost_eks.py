"""Containers on EKS in the cost estimate: the control plane and the managed node groups, on-demand and Spot."""

from __future__ import annotations

import math
from typing import Any

from generators.infra.model import Environment
from generators.infra.model import InfraDesign
from generators.infra.model import Sizing

ROOT_VOLUME_GB = 20  # each node's root volume (the launch template's)


def node_split(size: Sizing) -> tuple[int, int]:
    """(on-demand, Spot) nodes at the minimum, as the compute module's locals split them."""
    spot = math.floor(size.min_nodes * size.spot_share / 100)
    return size.min_nodes - spot, spot


def nodes_cost(env: Environment, prices: dict[str, Any]) -> tuple[float, float]:
    """(on-demand, Spot) monthly cost of the minimum node count."""
    hourly, size = prices["hourly"], env.sizing
    per_node = hourly[size.node_instance_type] * prices["hours_per_month"]
    on_demand, spot = node_split(size)
    return per_node * on_demand, per_node * (1 - hourly["ec2_spot_discount"]) * spot


def line_items(env: Environment, prices: dict[str, Any]) -> list[tuple[str, str, float]]:
    """(resource, what is priced, monthly) for the cluster and its nodes."""
    size, hours = env.sizing, prices["hours_per_month"]
    on_demand, spot = node_split(size)
    volumes = size.min_nodes * ROOT_VOLUME_GB * prices["monthly"]["ebs_gp3_gb"]
    return [("aws_eks_cluster", f"control plane, {hours} h", hours * prices["hourly"]["eks_cluster"]),
            ("aws_eks_node_group", f"{on_demand} on-demand + {spot} Spot {size.node_instance_type} nodes, "
             f"{ROOT_VOLUME_GB} GB gp3 each", sum(nodes_cost(env, prices)) + volumes)]


def right_size(design: InfraDesign, cheaper: Sizing, prices: dict[str, Any]) -> list[tuple[str, str, str, float]]:
    """(environment, kind, text, monthly savings) for smaller production nodes."""
    production = design.environment("production")
    size = production.sizing
    if cheaper.node_instance_type == size.node_instance_type:
        return []
    hourly, hours = prices["hourly"], prices["hours_per_month"]
    on_demand, _ = node_split(size)
    return [("production", "right_size_nodes", f"If the nodes stay under 40% CPU and memory requests, move from "
             f"{size.node_instance_type} to {cheaper.node_instance_type}.",
             on_demand * hours * (hourly[size.node_instance_type] - hourly[cheaper.node_instance_type]))]
