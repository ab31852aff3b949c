#!/usr/bin/env node
// kafka-console-consumer.sh: `ferrokafka console-consumer`.
'use strict'

require('./run-tool')('console-consumer')
