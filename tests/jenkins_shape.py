"""The declarative Jenkinsfile shape no offline tool checks: pipeline/agent/stages/stage/steps nesting and post."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field

PIPELINE_SECTIONS = {"agent", "options", "environment", "stages", "post", "triggers", "parameters", "tools", "libraries"}
STAGE_SECTIONS = {"agent", "when", "options", "environment", "input", "steps", "parallel", "stages", "matrix", "post",
                  "tools", "failFast"}
STAGE_BODIES = {"steps", "parallel", "stages", "matrix"}
POST_CONDITIONS = {"always", "success", "failure", "unstable", "changed", "fixed", "regression", "aborted",
                   "unsuccessful", "cleanup", "notBuilt"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Block:
    """A `name(args) { ... }` block and the blocks directly inside it."""

    name: str
    head: str
    children: list["Block"] = field(default_factory=list)
    leaf: bool = False


def _skip_string(text: str, index: int) -> int:
    for quote in ("'''", '"""'):
        if text.startswith(quote, index):
            end = index + 3
            while not text.startswith(quote, end):
                if end >= len(text):
                    raise ValueError("unterminated triple-quoted string")
                end += 2 if text[end] == "\\" else 1
            return end + 3
    quote = text[index]
    end = index + 1
    while end < len(text) and text[end] != quote:
        if text[end] == "\n":
            raise ValueError(f"newline inside a {quote}-quoted string")
        end += 2 if text[end] == "\\" else 1
    if end >= len(text):
        raise ValueError("unterminated string")
    return end + 1


def parse_blocks(text: str) -> Block:
    """The block tree of a Groovy file; strings and comments are skipped, braces must balance."""
    root = Block("<file>", "")
    stack = [root]
    statement = ""
    parens = 0
    index = 0
    while index < len(text):
        char = text[index]
        if text.startswith("//", index):
            index = text.find("\n", index) if "\n" in text[index:] else len(text)
            continue
        if text.startswith("/*", index):
            end = text.find("*/", index + 2)
            if end < 0:
                raise ValueError("unterminated comment")
            index = end + 2
            continue
        if char in "'\"":
            end = _skip_string(text, index)
            statement += "S"
            index = end
            continue
        if char in "([":
            parens += 1
        elif char in ")]":
            parens -= 1
        if char == "{":
            match = _IDENT.search(statement)
            block = Block(match.group(0) if match else "", statement.strip())
            stack[-1].children.append(block)
            stack.append(block)
            statement = ""
        elif char == "}":
            if len(stack) == 1:
                raise ValueError("unbalanced closing brace")
            stack.pop()
            statement = ""
        elif (char == "\n" and parens == 0) or char == ";":
            match = _IDENT.match(statement.strip())
            if match:  # a one-line statement such as `agent none` or `sh 'make'`
                stack[-1].children.append(Block(match.group(0), statement.strip(), leaf=True))
            statement = ""
        else:
            statement += char
        index += 1
    if len(stack) != 1:
        raise ValueError("unbalanced opening brace")
    return root


def _check_stage(stage: Block, has_agent: bool, problems: list[str]) -> None:
    label = stage.head
    names = [child.name for child in stage.children]
    for name in names:
        if name not in STAGE_SECTIONS:
            problems.append(f"{label}: unknown section {name!r}")
    bodies = [name for name in names if name in STAGE_BODIES]
    if len(bodies) != 1:
        problems.append(f"{label}: needs exactly one of steps/parallel/stages/matrix, has {bodies or 'none'}")
    has_agent = has_agent or "agent" in names
    for child in stage.children:
        if child.name == "steps" and not has_agent:
            problems.append(f"{label}: steps run with no agent (the pipeline says `agent none`)")
        if child.name in ("parallel", "stages"):
            nested = child.children
            if not nested or any(block.name != "stage" for block in nested):
                problems.append(f"{label}: {child.name} must hold only stage blocks")
            for block in nested:
                _check_stage(block, has_agent, problems)
        if child.name == "post":
            _check_post(child, label, problems)


def _check_post(post: Block, label: str, problems: list[str]) -> None:
    if not post.children:
        problems.append(f"{label}: empty post")
    for condition in post.children:
        if condition.name not in POST_CONDITIONS:
            problems.append(f"{label}: unknown post condition {condition.name!r}")


def declarative_shape(text: str) -> list[str]:
    """Problems with the declarative pipeline structure; empty when the shape is right."""
    try:
        root = parse_blocks(text)
    except ValueError as error:
        return [f"does not parse: {error}"]
    pipelines = [block for block in root.children if block.name == "pipeline"]
    if len(pipelines) != 1 or len([block for block in root.children if not block.leaf]) != 1:
        return ["the file must hold exactly one top-level pipeline block"]
    pipeline = pipelines[0]
    names = [child.name for child in pipeline.children]
    problems = [f"pipeline: unknown section {name!r}" for name in names if name not in PIPELINE_SECTIONS]
    agent_none = any(child.leaf and child.head.split() == ["agent", "none"] for child in pipeline.children)
    if "agent" not in names:
        problems.append("pipeline: no agent")
    if names.count("stages") != 1:
        problems.append("pipeline: needs exactly one stages block")
    for child in pipeline.children:
        if child.name == "stages":
            if not child.children or any(block.name != "stage" for block in child.children):
                problems.append("stages must hold only stage blocks, at least one")
            for stage in child.children:
                _check_stage(stage, not agent_none, problems)
        if child.name == "post":
            _check_post(child, "pipeline", problems)
    if "post" not in text:
        problems.append("no post section anywhere")
    return problems
