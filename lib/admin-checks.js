// kafkajs's argument checks for the admin operations, in kafkajs's order and words: each throws
// KafkaJSNonRetriableError with the message kafkajs gives.
'use strict'

const { classes: { KafkaJSNonRetriableError } } = require('./errors')
const {
  ConfigResourceTypes,
  AclResourceTypes,
  AclOperationTypes,
  AclPermissionTypes,
  ResourcePatternTypes
} = require('./admin-constants')

const fail = (message) => { throw new KafkaJSNonRetriableError(message) }

const CONFIG_TYPES = Object.values(ConfigResourceTypes)
const OPERATIONS = Object.values(AclOperationTypes)
const PATTERNS = Object.values(ResourcePatternTypes)
const PERMISSIONS = Object.values(AclPermissionTypes)
const ACL_TYPES = Object.values(AclResourceTypes)

const hasDuplicateTopics = (items) => new Set(items.map(({ topic }) => topic)).size < items.length

function checkCreateTopics (topics) {
  if (!topics || !Array.isArray(topics)) fail(`Invalid topics array ${topics}`)
  if (topics.some(({ topic }) => typeof topic !== 'string')) {
    fail('Invalid topics array, the topic names have to be a valid string')
  }
  if (hasDuplicateTopics(topics)) fail('Invalid topics array, it cannot have multiple entries for the same topic')
  for (const { topic, configEntries } of topics) {
    if (configEntries == null) continue
    if (!Array.isArray(configEntries)) fail(`Invalid configEntries for topic "${topic}", must be an array`)
    configEntries.forEach((entry, index) => {
      if (typeof entry !== 'object' || entry == null) {
        fail(`Invalid configEntries for topic "${topic}". Entry ${index} must be an object`)
      }
      for (const property of ['name', 'value']) {
        if (!Object.prototype.hasOwnProperty.call(entry, property) || typeof entry[property] !== 'string') {
          fail(`Invalid configEntries for topic "${topic}". Entry ${index} must have a valid "${property}" property`)
        }
      }
    })
  }
}

function checkCreatePartitions (topicPartitions) {
  if (!topicPartitions || !Array.isArray(topicPartitions)) fail(`Invalid topic partitions array ${topicPartitions}`)
  if (topicPartitions.length === 0) fail('Empty topic partitions array')
  if (topicPartitions.some(({ topic }) => typeof topic !== 'string')) {
    fail('Invalid topic partitions array, the topic names have to be a valid string')
  }
  if (hasDuplicateTopics(topicPartitions)) {
    fail('Invalid topic partitions array, it cannot have multiple entries for the same topic')
  }
}

function checkDeleteTopics (topics) {
  if (!topics || !Array.isArray(topics)) fail(`Invalid topics array ${topics}`)
  if (topics.some((topic) => typeof topic !== 'string')) fail('Invalid topics array, the names must be a valid string')
}

function checkTopic (topic) {
  if (!topic || typeof topic !== 'string') fail(`Invalid topic ${topic}`)
}

function checkGroupAndTopic (groupId, topic) {
  if (!groupId) fail(`Invalid groupId ${groupId}`)
  if (!topic) fail(`Invalid topic ${topic}`)
}

function checkResources (resources) {
  if (!resources || !Array.isArray(resources)) fail(`Invalid resources array ${resources}`)
  if (resources.length === 0) fail('Resources array cannot be empty')
  const invalidType = resources.find((r) => !CONFIG_TYPES.includes(r.type))
  if (invalidType) fail(`Invalid resource type ${invalidType.type}: ${JSON.stringify(invalidType)}`)
  const invalidName = resources.find((r) => !r.name || typeof r.name !== 'string')
  if (invalidName) fail(`Invalid resource name ${invalidName.name}: ${JSON.stringify(invalidName)}`)
}

function checkDescribeConfigs (resources) {
  checkResources(resources)
  const invalid = resources.find((r) => !Array.isArray(r.configNames) && r.configNames != null)
  if (invalid) fail(`Invalid resource configNames ${invalid.configNames}: ${JSON.stringify(invalid)}`)
}

function checkAlterConfigs (resources) {
  checkResources(resources)
  const invalid = resources.find((r) => !Array.isArray(r.configEntries))
  if (invalid) fail(`Invalid resource configEntries ${invalid.configEntries}: ${JSON.stringify(invalid)}`)
  const invalidValue = resources.find((r) =>
    r.configEntries.some((e) => typeof e.name !== 'string' || typeof e.value !== 'string'))
  if (invalidValue) fail(`Invalid resource config value: ${JSON.stringify(invalidValue)}`)
}

function checkDeleteGroups (groupIds) {
  if (!groupIds || !Array.isArray(groupIds)) fail(`Invalid groupIds array ${groupIds}`)
  const invalid = groupIds.some((g) => typeof g !== 'string')
  if (invalid) fail(`Invalid groupId name: ${JSON.stringify(invalid)}`)
}

function checkDeleteTopicRecords (topic, partitions) {
  if (!topic || typeof topic !== 'string') fail(`Invalid topic "${topic}"`)
  if (!partitions || partitions.length === 0) fail('Invalid partitions')
}

/** The enum checks shared by createAcls and deleteAcls, on each entry. */
function checkAclTypes (entries) {
  let invalid = entries.find((i) => !OPERATIONS.includes(i.operation))
  if (invalid) fail(`Invalid operation type ${invalid.operation}: ${JSON.stringify(invalid)}`)
  invalid = entries.find((i) => !PATTERNS.includes(i.resourcePatternType))
  if (invalid) fail(`Invalid resource pattern type ${invalid.resourcePatternType}: ${JSON.stringify(invalid)}`)
  invalid = entries.find((i) => !PERMISSIONS.includes(i.permissionType))
  if (invalid) fail(`Invalid permission type ${invalid.permissionType}: ${JSON.stringify(invalid)}`)
  invalid = entries.find((i) => !ACL_TYPES.includes(i.resourceType))
  if (invalid) fail(`Invalid resource type ${invalid.resourceType}: ${JSON.stringify(invalid)}`)
}

function checkCreateAcls (acl) {
  if (!acl || !Array.isArray(acl)) fail(`Invalid ACL array ${acl}`)
  if (acl.length === 0) fail('Empty ACL array')
  if (acl.some(({ principal }) => typeof principal !== 'string')) {
    fail('Invalid ACL array, the principals have to be a valid string')
  }
  if (acl.some(({ host }) => typeof host !== 'string')) fail('Invalid ACL array, the hosts have to be a valid string')
  if (acl.some(({ resourceName }) => typeof resourceName !== 'string')) {
    fail('Invalid ACL array, the resourceNames have to be a valid string')
  }
  checkAclTypes(acl)
}

const optionalString = (value) => typeof value === 'string' || typeof value === 'undefined'

function checkDescribeAcls ({ resourceType, resourceName, resourcePatternType, principal, host, operation, permissionType }) {
  if (!optionalString(principal)) fail('Invalid principal, the principal have to be a valid string')
  if (!optionalString(host)) fail('Invalid host, the host have to be a valid string')
  if (!optionalString(resourceName)) fail('Invalid resourceName, the resourceName have to be a valid string')
  if (!OPERATIONS.includes(operation)) fail(`Invalid operation type ${operation}`)
  if (!PATTERNS.includes(resourcePatternType)) fail(`Invalid resource pattern filter type ${resourcePatternType}`)
  if (!PERMISSIONS.includes(permissionType)) fail(`Invalid permission type ${permissionType}`)
  if (!ACL_TYPES.includes(resourceType)) fail(`Invalid resource type ${resourceType}`)
}

function checkDeleteAcls (filters) {
  if (!filters || !Array.isArray(filters)) fail(`Invalid ACL Filter array ${filters}`)
  if (filters.length === 0) fail('Empty ACL Filter array')
  if (filters.some(({ principal }) => !optionalString(principal))) {
    fail('Invalid ACL Filter array, the principals have to be a valid string')
  }
  if (filters.some(({ host }) => !optionalString(host))) fail('Invalid ACL Filter array, the hosts have to be a valid string')
  if (filters.some(({ resourceName }) => !optionalString(resourceName))) {
    fail('Invalid ACL Filter array, the resourceNames have to be a valid string')
  }
  checkAclTypes(filters)
}

function checkReassignments (topics) {
  if (!topics || !Array.isArray(topics)) fail(`Invalid topics array ${topics}`)
  if (topics.some(({ topic }) => typeof topic !== 'string')) {
    fail('Invalid topics array, the topic names have to be a valid string')
  }
  if (hasDuplicateTopics(topics)) fail('Invalid topics array, it cannot have multiple entries for the same topic')
  for (const { topic, partitionAssignment } of topics) {
    if (!partitionAssignment || !Array.isArray(partitionAssignment)) {
      fail(`Invalid partitions array: ${partitionAssignment} for topic: ${topic}`)
    }
    for (const { partition, replicas } of partitionAssignment) {
      if (partition === null || partition === undefined || typeof partition !== 'number' || partition < 0) {
        fail(`Invalid partitions index: ${partition} for topic: ${topic}`)
      }
      if (!replicas || !Array.isArray(replicas)) {
        fail(`Invalid replica assignment: ${replicas} for topic: ${topic} on partition: ${partition}`)
      }
      if (replicas.some((replica) => typeof replica !== 'number' || replica < 0)) {
        fail(`Invalid replica assignment: ${replicas} for topic: ${topic} on partition: ${partition}. Replicas must be a non negative number`)
      }
    }
  }
}

function checkListReassignments (topics) {
  if (!topics) return
  if (!Array.isArray(topics)) fail(`Invalid topics array ${topics}`)
  if (topics.some(({ topic }) => typeof topic !== 'string')) {
    fail('Invalid topics array, the topic names have to be a valid string')
  }
  if (hasDuplicateTopics(topics)) fail('Invalid topics array, it cannot have multiple entries for the same topic')
  for (const { topic, partitions } of topics) {
    if (!partitions || !Array.isArray(partitions)) fail(`Invalid partition array: ${partitions} for topic: ${topic}`)
    if (partitions.some((partition) => typeof partition !== 'number' || partition < 0)) {
      fail(`Invalid partition array: ${partitions} for topic: ${topic}. The partition indices have to be a valid number greater than 0.`)
    }
  }
}

module.exports = {
  checkCreateTopics,
  checkCreatePartitions,
  checkDeleteTopics,
  checkTopic,
  checkGroupAndTopic,
  checkDescribeConfigs,
  checkAlterConfigs,
  checkDeleteGroups,
  checkDeleteTopicRecords,
  checkCreateAcls,
  checkDescribeAcls,
  checkDeleteAcls,
  checkReassignments,
  checkListReassignments
}
