"""Ingest benchmark peer: produce N records of SIZE bytes with confluent-kafka (librdkafka) and
print the rate as JSON. usage: librdkafka-produce.py BOOTSTRAP TOPIC N SIZE"""
import json
import sys
import time

from confluent_kafka import Producer


def main():
    bootstrap, topic, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "linger.ms": 5,
        "batch.size": 1_000_000,
        "queue.buffering.max.messages": 1_000_000,
        "acks": 1,
        "enable.idempotence": False,
    })
    producer.list_topics(topic, timeout=30)
    failures = []
    payload = b"x" * size

    def delivered(err, _msg):
        if err is not None:
            failures.append(str(err))

    start = time.perf_counter()
    for _ in range(count):
        while True:
            try:
                producer.produce(topic, payload, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.001)
        producer.poll(0)
    remaining = producer.flush(120)
    elapsed = time.perf_counter() - start
    if remaining or failures:
        sys.exit(f"{remaining} undelivered, {len(failures)} failed: {failures[:3]}")
    print(json.dumps({"count": count, "seconds": elapsed, "rate": count / elapsed}))


main()
