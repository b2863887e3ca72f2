#!/usr/bin/env python3
"""Prints every message between a taskfarm coordinator and its workers (a debugging aid).

The tap sits between the two: the coordinator publishes to its requests queue as usual; the tap
moves each request to a second queue (--worker-queue, declared like the requests queue) with
reply_to pointing at the tap's own queue, and forwards each reply to the coordinator's replies
queue (printed with the routing key they have without the tap). Point the workers at
--worker-queue. Cancel broadcasts are printed too. docs/WIRE.md's
message dumps were captured with it.

    /usr/bin/python3 wiretap.py --requests taskfarm.requests --replies taskfarm.replies \
        --dead-letters taskfarm.requests.dlq --worker-queue taskfarm.requests.tapped
"""
import argparse
import os
import sys

import pika


def dump(kind, exchange, routing_key, props, body, width):
    text = body.decode("utf-8", "replace")
    if len(text) > width:
        text = text[:width] + "... (%d bytes)" % len(body)
    headers = ", ".join("%s=%s" % (k, v) for k, v in sorted((props.headers or {}).items()))
    print("%s (exchange \"%s\", routing key \"%s\")" % (kind, exchange, routing_key))
    for name in ("content_type", "delivery_mode", "correlation_id", "reply_to"):
        value = getattr(props, name)
        if value is not None:
            print("  %-15s %s" % (name + ":", value))
    print("  %-15s {%s}" % ("headers:", headers))
    print("  %-15s %s\n" % ("body:", text), flush=True)


def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--url", default=os.environ.get("RABBITMQ_URL"), help="default: $RABBITMQ_URL")
    a.add_argument("--requests", default="taskfarm.requests")
    a.add_argument("--replies", default="taskfarm.replies")
    a.add_argument("--dead-letters", default="taskfarm.requests.dlq")
    a.add_argument("--delivery-limit", type=int, default=5)
    a.add_argument("--control", default="taskfarm.control")
    a.add_argument("--worker-queue", required=True)
    a.add_argument("--width", type=int, default=400, help="longest body printed")
    args = a.parse_args()
    if not args.url:
        sys.exit("set --url or RABBITMQ_URL")
    ch = pika.BlockingConnection(pika.URLParameters(args.url)).channel()
    ch.confirm_delivery()
    ch.queue_declare(args.worker_queue, durable=True, arguments={
        "x-queue-type": "quorum", "x-delivery-limit": args.delivery_limit,
        "x-dead-letter-exchange": "", "x-dead-letter-routing-key": args.dead_letters})
    tap = ch.queue_declare("", exclusive=True).method.queue
    control = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(control, args.control)

    def on_request(ch, method, props, body):
        dump("request", method.exchange, method.routing_key, props, body, args.width)
        props.reply_to = tap
        ch.basic_publish("", args.worker_queue, body, props)
        ch.basic_ack(method.delivery_tag)

    def on_reply(ch, method, props, body):
        dump("reply", method.exchange, args.replies, props, body, args.width)
        ch.basic_publish("", args.replies, body, props)
        ch.basic_ack(method.delivery_tag)

    def on_control(ch, method, props, body):
        dump("control", args.control, method.routing_key, props, body, args.width)

    ch.basic_consume(args.requests, on_request)
    ch.basic_consume(tap, on_reply)
    ch.basic_consume(control, on_control, auto_ack=True)
    ch.start_consuming()


if __name__ == "__main__":
    main()
