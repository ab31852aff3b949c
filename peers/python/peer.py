"""A Kafka peer built on confluent-kafka (librdkafka), printing one JSON object per line.

  create-topic BOOTSTRAP TOPIC PARTITIONS     admin CreateTopics, then prints the topic's metadata
  produce BOOTSTRAP TOPIC N [COMPRESSION]     sends N records (key k<i>, value v<i>); prints each ack
  consume-group BOOTSTRAP TOPIC GROUP N       joins GROUP, reads N records, commits, prints the commits
  committed BOOTSTRAP TOPIC GROUP             prints GROUP's committed offsets for TOPIC (no join)
  transactions BOOTSTRAP TOPIC TXN_ID GROUP   with one transactional producer: commits c1 c2, aborts
                                              a1 a2 (and offset 9 for GROUP), commits c3 with offset 5
                                              for GROUP; prints each transaction's outcome
  read BOOTSTRAP TOPIC ISOLATION UNTIL        reads TOPIC's partition 0 from the start with
                                              isolation.level ISOLATION until value UNTIL arrives

Run it with peers/python/run.sh, which uses the venv that peers/install.sh makes.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

DEADLINE_S = 30.0


def emit(**fields):
    print(json.dumps(fields), flush=True)


def create_topic(bootstrap, topic, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=int(partitions), replication_factor=1)])
    futures[topic].result(DEADLINE_S)
    emit(type="created", topic=topic)
    metadata = admin.list_topics(topic, timeout=DEADLINE_S)
    described = metadata.topics[topic]
    if described.error is not None:
        raise KafkaException(described.error)
    emit(type="metadata", topic=topic, partitions=sorted(described.partitions))


def produce(bootstrap, topic, count, compression="none"):
    producer = Producer({"bootstrap.servers": bootstrap, "compression.type": compression})
    acks = {}
    failures = []

    def on_delivery(err, msg):
        if err is not None:
            failures.append(str(err))
        else:
            acks[msg.key().decode()] = (msg.partition(), msg.offset())

    for i in range(int(count)):
        producer.produce(topic, key=f"k{i}", value=f"v{i}", on_delivery=on_delivery)
    left = producer.flush(DEADLINE_S)
    if failures or left:
        raise SystemExit(f"produce failed: {failures or f'{left} records undelivered'}")
    for i in range(int(count)):
        partition, offset = acks[f"k{i}"]
        emit(type="ack", partition=partition, offset=offset, key=f"k{i}", value=f"v{i}")


def consume_group(bootstrap, topic, group, count):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    received = 0
    deadline = time.monotonic() + DEADLINE_S
    partitions = set()
    try:
        while received < int(count):
            if time.monotonic() > deadline:
                raise SystemExit(f"received {received} of {count} records in {DEADLINE_S}s")
            msg = consumer.poll(0.2)
            if msg is None:
                continue
            if msg.error() is not None:
                raise KafkaException(msg.error())
            received += 1
            partitions.add(msg.partition())
            emit(type="record", partition=msg.partition(), offset=msg.offset(),
                 key=msg.key().decode(), value=msg.value().decode())
        consumer.commit(asynchronous=False)
        committed = consumer.committed([TopicPartition(topic, p) for p in sorted(partitions)], DEADLINE_S)
        for tp in committed:
            emit(type="committed", partition=tp.partition, offset=tp.offset)
    finally:
        consumer.close()


def committed(bootstrap, topic, group):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        metadata = consumer.list_topics(topic, timeout=DEADLINE_S)
        partitions = sorted(metadata.topics[topic].partitions)
        for tp in consumer.committed([TopicPartition(topic, p) for p in partitions], DEADLINE_S):
            emit(type="committed", partition=tp.partition, offset=tp.offset)
    finally:
        consumer.close()


def transactions(bootstrap, topic, transactional_id, group):
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": transactional_id})
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    producer.init_transactions(DEADLINE_S)

    failures = []

    def on_delivery(err, _msg):
        if err is not None:
            failures.append(str(err))

    def run(values, offset, commit):
        producer.begin_transaction()
        for value in values:
            producer.produce(topic, value=value, partition=0, on_delivery=on_delivery)
        # Written before the transaction ends, so an abort has records to abort.
        left = producer.flush(DEADLINE_S)
        if failures or left:
            raise SystemExit(f"produce failed: {failures or f'{left} records undelivered'}")
        if offset is not None:
            offsets = [TopicPartition(topic, 0, offset)]
            producer.send_offsets_to_transaction(offsets, reader.consumer_group_metadata(), DEADLINE_S)
        if commit:
            producer.commit_transaction(DEADLINE_S)
        else:
            producer.abort_transaction(DEADLINE_S)
        emit(type="committed" if commit else "aborted", values=values)

    try:
        run(["c1", "c2"], None, True)
        run(["a1", "a2"], 9, False)
        run(["c3"], 5, True)
    finally:
        reader.close()


def read(bootstrap, topic, isolation, until):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"reader-{time.monotonic_ns()}",
        "isolation.level": isolation,
        "enable.auto.commit": False,
    })
    consumer.assign([TopicPartition(topic, 0, 0)])
    deadline = time.monotonic() + DEADLINE_S
    try:
        while True:
            if time.monotonic() > deadline:
                raise SystemExit(f"{until} did not arrive in {DEADLINE_S}s")
            msg = consumer.poll(0.2)
            if msg is None:
                continue
            if msg.error() is not None:
                raise KafkaException(msg.error())
            value = msg.value().decode()
            emit(type="record", partition=msg.partition(), offset=msg.offset(), value=value)
            if value == until:
                return
    finally:
        consumer.close()


COMMANDS = {
    "create-topic": (create_topic, 3, 3),
    "produce": (produce, 3, 4),
    "consume-group": (consume_group, 4, 4),
    "committed": (committed, 3, 3),
    "transactions": (transactions, 4, 4),
    "read": (read, 4, 4),
}


def main(argv):
    command = COMMANDS.get(argv[0]) if argv else None
    if command is None or not command[1] <= len(argv) - 1 <= command[2]:
        raise SystemExit(__doc__)
    command[0](*argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
