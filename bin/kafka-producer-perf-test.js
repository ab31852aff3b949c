#!/usr/bin/env node
// kafka-producer-perf-test.sh: `ferrokafka producer-perf-test`.
'use strict'

require('./run-tool')('producer-perf-test')
