"""RENDA_RABBITMQ_QUORUM: every queue dramatiq uses (work, delay `.DQ`, dead-letter `.XQ`) is declared
as a quorum queue, and messages go through each of them: run, delayed, dead-lettered.

Against the machine's RabbitMQ (RENDA_TEST_RABBITMQ_URL), in a virtual host of this test's own, made
and removed with rabbitmqctl (a queue keeps the type it was first declared with, so the shared
vhosts' classic queues are never touched). Under CI the variable must be set."""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import dramatiq
import pytest
from dramatiq.brokers.rabbitmq import dq_name, xq_name

from renda.config import Settings
from renda.workers.broker import broker_for, create_broker

RABBITMQ_URL = os.environ.get("RENDA_TEST_RABBITMQ_URL")
if not RABBITMQ_URL:
    if os.environ.get("CI"):
        raise RuntimeError("CI must set RENDA_TEST_RABBITMQ_URL")
    pytest.skip("RabbitMQ is not configured (RENDA_TEST_RABBITMQ_URL)", allow_module_level=True)


def rabbitmqctl(*args: str) -> str:
    return subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def vhost_url() -> Iterator[str]:
    vhost = f"renda_test_quorum_{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield urlsplit(RABBITMQ_URL)._replace(path=f"/{vhost}").geturl()
    finally:
        rabbitmqctl("delete_vhost", vhost)


def queue_types(url: str) -> dict[str, str]:
    vhost = urlsplit(url).path.lstrip("/")
    lines = rabbitmqctl("list_queues", "-p", vhost, "--quiet", "--no-table-headers", "name", "type").splitlines()
    return dict(line.split("\t")[:2] for line in lines if "\t" in line)


def test_the_setting_chooses_quorum_queues() -> None:
    assert Settings(rabbitmq_quorum=True).rabbitmq_quorum
    url = "amqp://guest:guest@127.0.0.1:5672/%2F"
    assert type(broker_for(Settings(broker_url=url, rabbitmq_quorum=True))).__name__ == "QuorumRabbitmqBroker"
    assert type(broker_for(Settings(broker_url=url))).__name__ == "RabbitmqBroker"


def test_work_delay_and_dead_letter_queues_are_quorum_queues_that_work(vhost_url: str, database) -> None:
    broker = create_broker(vhost_url, quorum=True)
    done: list[str] = []
    lock = threading.Lock()

    def run(word: str) -> None:
        if word == "fail":
            raise RuntimeError("this message is meant to be dead-lettered")
        with lock:
            done.append(word)

    queue = "quorum_check"
    check = dramatiq.actor(run, actor_name="quorum_check", queue_name=queue, broker=broker, max_retries=0)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        check.send("now")
        check.send_with_options(args=("later",), delay=300)
        check.send("fail")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            sorted(done) != ["later", "now"] or broker.get_queue_message_counts(queue)[2] < 1
        ):
            time.sleep(0.2)
        assert sorted(done) == ["later", "now"]  # run at once, and through the delay queue
        assert broker.get_queue_message_counts(queue)[2] == 1  # the failed one, dead-lettered
    finally:
        worker.stop()
        broker.close()
    types = queue_types(vhost_url)
    assert {queue, dq_name(queue), xq_name(queue)} <= set(types)
    assert {name: kind for name, kind in types.items() if name.startswith(queue)} == {
        queue: "quorum",
        dq_name(queue): "quorum",
        xq_name(queue): "quorum",
    }
