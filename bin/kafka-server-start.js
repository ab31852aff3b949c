#!/usr/bin/env node
// kafka-server-start.sh: `ferrokafka server-start`.
'use strict'

require('./run-tool')('server-start')
