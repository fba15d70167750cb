-- CloudTrail in ClickHouse 18.16 as a ClickHouse user would keep it: the
-- common top-level fields (and userIdentity's) as typed columns for filtering,
-- plus the whole event as a String so nothing is lost. Loaded with
-- JSONEachRow from NDJSON made by bench/ct2ndjson.py.
-- Partitioned by day, ordered so that events of one API call sit together.
CREATE TABLE cloudtrail (
  eventTime DateTime,
  eventVersion String,
  eventSource String,
  eventName String,
  awsRegion String,
  sourceIPAddress String,
  userAgent String,
  errorCode String,
  errorMessage String,
  requestID String,
  eventID UUID,
  readOnly UInt8,
  eventType String,
  managementEvent UInt8,
  recipientAccountId UInt64,
  eventCategory String,
  vpcEndpointId String,
  userIdentity_type String,
  userIdentity_principalId String,
  userIdentity_arn String,
  userIdentity_accountId String,
  userIdentity_accessKeyId String,
  userIdentity_userName String,
  raw String
) ENGINE = MergeTree PARTITION BY toDate(eventTime) ORDER BY (eventSource, eventName, eventTime);
