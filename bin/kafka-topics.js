#!/usr/bin/env node
// kafka-topics.sh: `ferrokafka topics`.
'use strict'

require('./run-tool')('topics')
