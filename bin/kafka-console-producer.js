#!/usr/bin/env node
// kafka-console-producer.sh: `ferrokafka console-producer`.
'use strict'

require('./run-tool')('console-producer')
