#!/usr/bin/env node
// kafka-consumer-perf-test.sh: `ferrokafka consumer-perf-test`.
'use strict'

require('./run-tool')('consumer-perf-test')
