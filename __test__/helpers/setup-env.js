// Environment for every test file: kafkajs's partitioner notice is noise here.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
