#!/usr/bin/env python3
"""A taskfarm worker in Python (pika), written from docs/WIRE.md alone.

Serves the computes "sha256" (the benchmark workload, same algorithm as taskfarm's own),
"wordcount" and "upper" (or those TASKFARM_COMPUTES names), each from its own requests queue
<TASKFARM_QUEUE_REQUESTS>.<compute> that it declares as docs/WIRE.md says, answers chunked requests, skips the tasks of cancelled jobs, reconnects when the
broker connection is lost and stops gracefully on SIGTERM or Ctrl+C (the task in hand is
finished and acknowledged; prefetched ones go back to the queue).

    RABBITMQ_URL=amqp://user:password@localhost:5672/%2F /usr/bin/python3 taskfarm_worker.py
"""
import hashlib
import json
import logging
import os
import signal
import socket
import sys
import time
from collections import OrderedDict

import pika
import pika.exceptions

WIRE_VERSION = 1
MAX_ERROR = 1000

log = logging.getLogger("taskfarm-worker")


class TaskError(Exception):
    """A task that cannot succeed: answered with an error reply (never a reject)."""


def sha256(task):
    seed = task.get("seed")
    if not isinstance(seed, str):
        raise TaskError("sha256 needs a text field 'seed'")
    rounds = task.get("rounds", 1)
    if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 1:
        raise TaskError("sha256 needs 'rounds' >= 1, got %s" % json.dumps(rounds))
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    for _ in range(rounds - 1):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


def wordcount(task):
    text = task.get("text")
    if not isinstance(text, str):
        raise TaskError("wordcount needs a text field 'text'")
    words = text.split()
    return {"words": len(words), "distinct": len(set(w.lower() for w in words))}


def upper(task):
    text = task.get("text")
    if not isinstance(text, str):
        raise TaskError("upper needs a text field 'text'")
    return text.upper()


COMPUTES = {"sha256": sha256, "wordcount": wordcount, "upper": upper}


class CancelledJobs:
    """Jobs cancelled by a control broadcast (bounded: the oldest are forgotten first)."""

    def __init__(self, capacity=10000):
        self.jobs = OrderedDict()
        self.capacity = capacity

    def add(self, job_id):
        self.jobs[job_id] = time.time()
        while len(self.jobs) > self.capacity:
            self.jobs.popitem(last=False)

    def __contains__(self, job_id):
        return job_id in self.jobs


class Worker:
    def __init__(self, params, requests, control, prefetch, name, reply_twice=False, computes=None,
                 dead_letters="taskfarm.requests.dlq", delivery_limit=5):
        self.params = params
        self.requests = requests
        self.computes = computes or sorted(COMPUTES)
        self.dead_letters = dead_letters
        self.delivery_limit = delivery_limit
        self.control = control
        self.prefetch = prefetch
        self.name = name
        self.reply_twice = reply_twice
        self.cancelled = CancelledJobs()
        self.stopping = False
        self.channel = None
        self.served = 0

    # --- connection life cycle -------------------------------------------------------------

    def run(self):
        backoff = 0.5
        while not self.stopping:
            try:
                self.serve()
                backoff = 0.5
            except (pika.exceptions.AMQPError, OSError) as e:
                if self.stopping:
                    break
                log.warning("broker connection lost (%s); reconnecting in %.1f s", e, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 10)
        log.info("stopped after %d replies", self.served)

    def serve(self):
        connection = pika.BlockingConnection(self.params)
        try:
            ch = connection.channel()
            self.channel = ch
            ch.confirm_delivery()  # every reply below waits for the broker's confirm
            # per consumer (one per queue): RabbitMQ's quorum queues refuse a channel-global prefetch
            ch.basic_qos(prefetch_count=self.prefetch)
            # one requests queue per compute, declared with the arguments the coordinator uses
            # (docs/WIRE.md, "Task queues"): a declare with other arguments fails
            queues = ["%s.%s" % (self.requests, c) for c in self.computes]
            for queue in queues:
                ch.queue_declare(queue, durable=True, arguments={
                    "x-queue-type": "quorum", "x-delivery-limit": self.delivery_limit,
                    "x-dead-letter-exchange": "", "x-dead-letter-routing-key": self.dead_letters})
            # control broadcasts: the same durable fanout the coordinator declares, and an
            # exclusive server-named queue of our own bound to it
            ch.exchange_declare(self.control, exchange_type="fanout", durable=True)
            own = ch.queue_declare("", exclusive=True, auto_delete=True).method.queue
            ch.queue_bind(own, self.control)
            ch.basic_consume(own, self.on_control, auto_ack=True)
            for queue in queues:
                ch.basic_consume(queue, self.on_request)
            log.info("serving %s on %s", ", ".join(queues), self.params.host)
            while not self.stopping:
                connection.process_data_events(time_limit=0.5)
            # graceful stop: no new deliveries; the one in hand is done (callbacks run to the end)
            ch.close()
        finally:
            if connection.is_open:
                connection.close()

    def stop(self, *_):
        log.info("stopping: finishing the task in hand")
        self.stopping = True

    # --- messages --------------------------------------------------------------------------

    def on_control(self, ch, method, props, body):
        headers = props.headers or {}
        if headers.get("TaskfarmControl") == "cancel" and headers.get("TaskfarmJobId"):
            self.cancelled.add(headers["TaskfarmJobId"])
            log.info("job %s cancelled: its pending tasks are skipped", headers["TaskfarmJobId"])

    def on_request(self, ch, method, props, body):
        headers = props.headers or {}
        job_id = headers.get("TaskfarmJobId")
        index = headers.get("TaskfarmTaskIndex")
        chunk = headers.get("TaskfarmChunkSize")
        compute = COMPUTES.get(headers.get("TaskfarmCompute"))
        if job_id in self.cancelled:
            ch.basic_ack(method.delivery_tag)  # skipped: no reply for a cancelled job
            return
        if compute is None or job_id is None or index is None or not props.reply_to:
            # cannot handle it at all: reject, RabbitMQ dead-letters it and the job records it
            ch.basic_reject(method.delivery_tag, requeue=False)
            return
        reply = {"TaskfarmJobId": job_id, "TaskfarmTaskIndex": index, "TaskfarmWire": WIRE_VERSION,
                 "TaskfarmWorker": self.name}
        try:
            tasks = json.loads(body)
            if chunk is None:
                reply["TaskfarmStatus"] = "ok"
                result = run(compute, tasks)
                out = json.dumps(result)
            else:
                if not isinstance(tasks, list) or len(tasks) != chunk:
                    raise TaskError("a chunk body must be a JSON array of %d tasks" % chunk)
                reply["TaskfarmChunkSize"] = chunk
                reply["TaskfarmStatus"] = "ok"
                out = json.dumps([outcome(compute, t) for t in tasks])
        except Exception as e:  # a failing task, a body that is not JSON, a result that is not JSON
            error = (str(e) if isinstance(e, TaskError) else "%s: %s" % (type(e).__name__, e))[:MAX_ERROR]
            if chunk is not None:
                reply["TaskfarmChunkSize"] = chunk  # the whole chunk failed
            reply["TaskfarmStatus"] = "error"
            reply["TaskfarmError"] = error
            out = json.dumps({"error": error})
        properties = pika.BasicProperties(correlation_id=props.correlation_id, delivery_mode=2,
                                          content_type="application/json", headers=reply)
        try:
            for _ in range(2 if self.reply_twice else 1):
                ch.basic_publish("", props.reply_to, out, properties, mandatory=True)
        except pika.exceptions.UnroutableError:
            # the reply_to queue does not exist: never ack a request whose reply is lost; give it
            # back (the queue's delivery limit dead-letters it if this goes on)
            log.warning("reply to %s returned unroutable; request %s requeued", props.reply_to, props.correlation_id)
            time.sleep(1)
            ch.basic_nack(method.delivery_tag, requeue=True)
            return
        except pika.exceptions.NackError:
            ch.basic_nack(method.delivery_tag, requeue=True)
            return
        ch.basic_ack(method.delivery_tag)  # only now: the broker has confirmed the reply
        self.served += 1


def run(compute, task):
    if not isinstance(task, dict):
        raise TaskError("a task must be a JSON object")
    try:
        return compute(task)
    except TaskError:
        raise
    except Exception as e:  # a bug or a bad value inside the compute: still an error reply
        raise TaskError("%s: %s" % (type(e).__name__, e))


def outcome(compute, task):
    try:
        return {"status": "ok", "result": run(compute, task)}
    except TaskError as e:
        return {"status": "error", "error": str(e)[:MAX_ERROR]}


def connection_parameters():
    url = os.environ.get("RABBITMQ_URL")
    if url:
        params = pika.URLParameters(url)
    else:
        user, password = os.environ.get("RABBITMQ_USERNAME"), os.environ.get("RABBITMQ_PASSWORD")
        if not user or not password:
            sys.exit("set RABBITMQ_URL, or RABBITMQ_USERNAME and RABBITMQ_PASSWORD (and RABBITMQ_HOST/RABBITMQ_PORT)")
        params = pika.ConnectionParameters(os.environ.get("RABBITMQ_HOST", "127.0.0.1"),
                                           int(os.environ.get("RABBITMQ_PORT", "5672")),
                                           os.environ.get("RABBITMQ_VHOST", "/"),
                                           pika.PlainCredentials(user, password))
    params.heartbeat = 30
    params.client_properties = {"connection_name": os.environ.get("TASKFARM_CONNECTION_NAME", "taskfarm-python-worker")}
    return params


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("pika").setLevel(logging.WARNING)
    computes = [c.strip() for c in os.environ.get("TASKFARM_COMPUTES", "").split(",") if c.strip()]
    unknown = [c for c in computes if c not in COMPUTES]
    if unknown:
        sys.exit("TASKFARM_COMPUTES names computes this worker does not have: %s (it has %s)"
                 % (", ".join(unknown), ", ".join(sorted(COMPUTES))))
    worker = Worker(connection_parameters(),
                    os.environ.get("TASKFARM_QUEUE_REQUESTS", "taskfarm.requests"),
                    os.environ.get("TASKFARM_EXCHANGE_CONTROL", "taskfarm.control"),
                    int(os.environ.get("TASKFARM_WORKER_PREFETCH", "1")),
                    os.environ.get("HOSTNAME") or socket.gethostname(),
                    os.environ.get("TASKFARM_REPLY_TWICE") == "true",
                    computes,
                    os.environ.get("TASKFARM_QUEUE_DEAD_LETTERS", "taskfarm.requests.dlq"),
                    int(os.environ.get("TASKFARM_QUEUE_DELIVERY_LIMIT", "5")))
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()


if __name__ == "__main__":
    main()
