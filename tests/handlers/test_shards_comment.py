"""`--shards N` in a GitHub comment: a valid count reaches the queued request; a bad one queues only a reply."""

from __future__ import annotations

from flask.testing import FlaskClient
from rq import Queue

from tests.handlers.test_github_webhook import client  # noqa: F401  (fixture)
from tests.handlers.test_github_webhook import comment_payload
from tests.handlers.test_github_webhook import post
from tests.handlers.test_github_webhook import queue  # noqa: F401  (fixture)
from tests.handlers.test_github_webhook import queued_requests
from tests.handlers.test_github_webhook import settings  # noqa: F401  (fixture)


def test_a_shard_count_in_range_is_queued_with_the_setup_request(client: FlaskClient, queue: Queue) -> None:  # noqa: F811
    post(client, comment_payload("/devops setup ci gitlab_ci --shards 8"))

    [request] = queued_requests(queue)
    assert request["kind"] == "setup_ci" and request["options"]["test_shards"] == 8


def test_a_shard_count_out_of_range_queues_only_a_reply_naming_it_and_the_range(client: FlaskClient,  # noqa: F811
                                                                                 queue: Queue) -> None:  # noqa: F811
    post(client, comment_payload("/devops setup ci --shards 51 --coverage 200"))

    [request] = queued_requests(queue)
    assert request["kind"] == "reply"
    assert "`--shards` must be a whole number from 1 to 50 (got `51`)" in request["message"]
    assert "`--coverage` must be a number from 0 to 100" in request["message"]  # every problem at once
