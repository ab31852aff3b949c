// A kafkajs project's Jest config: the tests reach Kafka at KAFKA_BROKERS.
module.exports = {
  testEnvironment: 'node'
}
