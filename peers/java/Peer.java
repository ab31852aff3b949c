// A Kafka peer built on Apache Kafka's own Java client, with default client settings, printing
// one JSON object per line so tests can check what the client saw.
//
//   produce BOOTSTRAP TOPIC N              sends N records (key k<i>, value v<i>); prints each ack
//   consume BOOTSTRAP TOPIC N              reads N records from the start of every partition, no group
//   consume-group BOOTSTRAP TOPIC GROUP N  joins GROUP, reads N records, commits, prints the commits
//   transactions BOOTSTRAP TOPIC TXN_ID GROUP
//                                          with one transactional producer: commits c1 c2, aborts a1 a2
//                                          (and offset 9 for GROUP), commits c3 with offset 5 for GROUP
//   read BOOTSTRAP TOPIC ISOLATION UNTIL   reads partition 0 from the start with isolation.level
//                                          ISOLATION until value UNTIL arrives
//   committed BOOTSTRAP TOPIC GROUP        prints GROUP's committed offset of partition 0 (read_committed)
//   txn-state BOOTSTRAP TOPIC TXN_ID       opens a transaction writing to partition 0, then commits it;
//                                          prints what the admin client describes before and after
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class Peer {
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  public static void main(String[] args) throws Exception {
    if (args.length < 1) usage();
    switch (args[0]) {
      case "produce" -> {
        if (args.length != 4) usage();
        produce(args[1], args[2], Integer.parseInt(args[3]));
      }
      case "consume" -> {
        if (args.length != 4) usage();
        consume(args[1], args[2], Integer.parseInt(args[3]));
      }
      case "consume-group" -> {
        if (args.length != 5) usage();
        consumeGroup(args[1], args[2], args[3], Integer.parseInt(args[4]));
      }
      case "transactions" -> {
        if (args.length != 5) usage();
        transactions(args[1], args[2], args[3], args[4]);
      }
      case "read" -> {
        if (args.length != 5) usage();
        read(args[1], args[2], args[3], args[4]);
      }
      case "committed" -> {
        if (args.length != 4) usage();
        committed(args[1], args[2], args[3]);
      }
      case "txn-state" -> {
        if (args.length != 4) usage();
        txnState(args[1], args[2], args[3]);
      }
      default -> usage();
    }
  }

  private static void usage() {
    System.err.println("usage: Peer produce BOOTSTRAP TOPIC N | consume BOOTSTRAP TOPIC N"
        + " | consume-group BOOTSTRAP TOPIC GROUP N | transactions BOOTSTRAP TOPIC TXN_ID GROUP"
        + " | read BOOTSTRAP TOPIC ISOLATION UNTIL | committed BOOTSTRAP TOPIC GROUP"
        + " | txn-state BOOTSTRAP TOPIC TXN_ID");
    System.exit(2);
  }

  private static void produce(String bootstrap, String topic, int count) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        acks.add(producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)));
      }
      for (int i = 0; i < count; i++) {
        RecordMetadata meta = acks.get(i).get();
        System.out.println("{\"type\":\"ack\",\"partition\":" + meta.partition() + ",\"offset\":"
            + meta.offset() + ",\"key\":" + json("k" + i) + ",\"value\":" + json("v" + i) + "}");
      }
    }
  }

  private static Properties consumerProps(String bootstrap) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return props;
  }

  private static void consume(String bootstrap, String topic, int count) {
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps(bootstrap))) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic, DEADLINE)) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      readRecords(consumer, count);
    }
  }

  private static void consumeGroup(String bootstrap, String topic, String group, int count) {
    Properties props = consumerProps(bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(topic));
      Set<TopicPartition> seen = readRecords(consumer, count);
      consumer.commitSync();
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(seen, DEADLINE);
      for (Map.Entry<TopicPartition, OffsetAndMetadata> entry : committed.entrySet()) {
        OffsetAndMetadata offset = entry.getValue();
        System.out.println("{\"type\":\"committed\",\"partition\":" + entry.getKey().partition()
            + ",\"offset\":" + (offset == null ? "null" : offset.offset()) + "}");
      }
    }
  }

  private static void transactions(String bootstrap, String topic, String transactionalId, String group)
      throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    Properties member = consumerProps(bootstrap);
    member.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props);
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(member)) {
      ConsumerGroupMetadata metadata = consumer.groupMetadata();
      producer.initTransactions();
      transaction(producer, topic, metadata, List.of("c1", "c2"), -1, true);
      transaction(producer, topic, metadata, List.of("a1", "a2"), 9, false);
      transaction(producer, topic, metadata, List.of("c3"), 5, true);
    }
  }

  private static void transaction(KafkaProducer<String, String> producer, String topic,
      ConsumerGroupMetadata group, List<String> values, long offset, boolean commit) throws Exception {
    producer.beginTransaction();
    for (String value : values) {
      producer.send(new ProducerRecord<>(topic, 0, null, value)).get();
    }
    if (offset >= 0) {
      TopicPartition partition = new TopicPartition(topic, 0);
      producer.sendOffsetsToTransaction(Map.of(partition, new OffsetAndMetadata(offset)), group);
    }
    if (commit) producer.commitTransaction();
    else producer.abortTransaction();
    StringBuilder list = new StringBuilder();
    for (String value : values) list.append(list.length() == 0 ? "" : ",").append(json(value));
    System.out.println("{\"type\":" + json(commit ? "committed" : "aborted") + ",\"values\":[" + list + "]}");
  }

  private static void read(String bootstrap, String topic, String isolation, String until) {
    Properties props = consumerProps(bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (true) {
        if (System.nanoTime() > deadline) throw new IllegalStateException(until + " did not arrive in " + DEADLINE);
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          System.out.println("{\"type\":\"record\",\"partition\":" + record.partition() + ",\"offset\":"
              + record.offset() + ",\"value\":" + json(record.value()) + "}");
          if (until.equals(record.value())) return;
        }
      }
    }
  }

  private static void committed(String bootstrap, String topic, String group) {
    Properties props = consumerProps(bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      TopicPartition partition = new TopicPartition(topic, 0);
      OffsetAndMetadata offset = consumer.committed(Set.of(partition), DEADLINE).get(partition);
      System.out.println("{\"type\":\"committed\",\"partition\":0,\"offset\":"
          + (offset == null ? "null" : offset.offset()) + "}");
    }
  }

  private static void txnState(String bootstrap, String topic, String transactionalId) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    Properties adminProps = new Properties();
    adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props);
        Admin admin = Admin.create(adminProps)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, 0, null, "a")).get();
      producer.send(new ProducerRecord<>(topic, 0, null, "b")).get();
      describeTxn(admin, topic, transactionalId);
      producer.commitTransaction();
      awaitMarkersWritten(admin, transactionalId);
      describeTxn(admin, topic, transactionalId);
    }
  }

  /**
   * Waits until the coordinator has written a committed transaction's markers: commitTransaction
   * returns once the commit is decided (PrepareCommit), and the markers follow asynchronously.
   */
  private static void awaitMarkersWritten(Admin admin, String transactionalId) throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (admin.describeTransactions(List.of(transactionalId)).all().get().get(transactionalId).state()
        == TransactionState.PREPARE_COMMIT) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(transactionalId + " stayed in PrepareCommit for " + DEADLINE);
      }
      Thread.sleep(10);
    }
  }

  /** Prints the transaction, whether it is listed in its state, and the partition's producer. */
  private static void describeTxn(Admin admin, String topic, String transactionalId) throws Exception {
    TransactionDescription txn = admin.describeTransactions(List.of(transactionalId)).all().get().get(transactionalId);
    StringBuilder partitions = new StringBuilder();
    for (TopicPartition tp : txn.topicPartitions()) {
      partitions.append(partitions.length() == 0 ? "" : ",").append(json(tp.toString()));
    }
    boolean listed = false;
    ListTransactionsOptions byState = new ListTransactionsOptions().filterStates(List.of(txn.state()));
    for (TransactionListing listing : admin.listTransactions(byState).all().get()) {
      if (listing.transactionalId().equals(transactionalId)) {
        listed = listing.producerId() == txn.producerId() && listing.state() == txn.state();
      }
    }
    System.out.println("{\"type\":\"transaction\",\"state\":" + json(txn.state().toString())
        + ",\"epoch\":" + txn.producerEpoch() + ",\"timeoutMs\":" + txn.transactionTimeoutMs()
        + ",\"started\":" + txn.transactionStartTimeMs().isPresent()
        + ",\"partitions\":[" + partitions + "],\"listed\":" + listed + "}");
    TopicPartition partition = new TopicPartition(topic, 0);
    List<ProducerState> producers = admin.describeProducers(List.of(partition)).all().get()
        .get(partition).activeProducers();
    for (ProducerState p : producers) {
      System.out.println("{\"type\":\"producer\",\"sameId\":" + (p.producerId() == txn.producerId())
          + ",\"epoch\":" + p.producerEpoch() + ",\"lastSequence\":" + p.lastSequence()
          + ",\"coordinatorEpoch\":" + p.coordinatorEpoch().orElse(-1)
          + ",\"transactionStartOffset\":" + p.currentTransactionStartOffset().orElse(-1) + "}");
    }
  }

  /** Polls until `count` records arrived (or fails after the deadline); returns their partitions. */
  private static Set<TopicPartition> readRecords(KafkaConsumer<String, String> consumer, int count) {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    Set<TopicPartition> seen = new HashSet<>();
    int received = 0;
    while (received < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("received " + received + " of " + count + " records in " + DEADLINE);
      }
      for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
        seen.add(new TopicPartition(record.topic(), record.partition()));
        received++;
        System.out.println("{\"type\":\"record\",\"partition\":" + record.partition() + ",\"offset\":"
            + record.offset() + ",\"key\":" + json(record.key()) + ",\"value\":" + json(record.value()) + "}");
      }
    }
    return seen;
  }

  private static String json(String text) {
    if (text == null) return "null";
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    return out.append('"').toString();
  }
}
