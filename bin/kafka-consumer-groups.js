#!/usr/bin/env node
// kafka-consumer-groups.sh: `ferrokafka consumer-groups`.
'use strict'

require('./run-tool')('consumer-groups')
