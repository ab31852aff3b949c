#!/usr/bin/env node
// kafka-storage.sh: `ferrokafka storage`.
'use strict'

require('./run-tool')('storage')
