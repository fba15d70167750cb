-- VPC flow logs in ClickHouse 18.16 (no CODEC, no IPv4/IPv6 types, no
-- LowCardinality without an experimental flag). One superset table for the
-- default version-2 and the custom version-5 format: v2 rows leave the v5-only
-- columns at their defaults. Files are loaded as TabSeparated strings into a
-- Null-engine table per format, and a materialized view each converts: IPv4 to
-- UInt32, IPv6 to its 16 bytes in a String that is empty for IPv4 rows, '-' to
-- 0 or empty, fixed vocabularies to Enum8.
-- PARTITION BY day (retention drops partitions), ORDER BY (interface_id, start):
-- one interface's flows in time order, the way flows are investigated and the
-- smallest of the keys tried (bench/ch-sortkey.sh).
CREATE TABLE flows (
  version UInt8,
  account_id UInt64,
  interface_id String,
  srcaddr UInt32,
  dstaddr UInt32,
  srcaddr6 String,
  dstaddr6 String,
  srcport UInt16,
  dstport UInt16,
  protocol UInt8,
  packets UInt64,
  bytes UInt64,
  start DateTime,
  end DateTime,
  action Enum8('-' = 0, 'ACCEPT' = 1, 'REJECT' = 2),
  log_status Enum8('OK' = 1, 'NODATA' = 2, 'SKIPDATA' = 3),
  type Enum8('-' = 0, 'IPv4' = 1, 'IPv6' = 2, 'EFA' = 3),
  vpc_id String,
  subnet_id String,
  instance_id String,
  region String,
  az_id String,
  sublocation_type String,
  sublocation_id String,
  tcp_flags UInt8,
  pkt_srcaddr UInt32,
  pkt_dstaddr UInt32,
  pkt_srcaddr6 String,
  pkt_dstaddr6 String,
  pkt_src_aws_service String,
  pkt_dst_aws_service String,
  traffic_path UInt8,
  flow_direction Enum8('-' = 0, 'ingress' = 1, 'egress' = 2)
) ENGINE = MergeTree PARTITION BY toDate(start) ORDER BY (interface_id, start);
CREATE TABLE raw_v2 (r_version String, r_account_id String, r_interface_id String, r_srcaddr String, r_dstaddr String, r_srcport String, r_dstport String, r_protocol String, r_packets String, r_bytes String, r_start String, r_end String, r_action String, r_log_status String) ENGINE = Null;
CREATE TABLE raw_v5 (r_version String, r_srcaddr String, r_dstaddr String, r_srcport String, r_dstport String, r_protocol String, r_start String, r_end String, r_type String, r_packets String, r_bytes String, r_account_id String, r_vpc_id String, r_subnet_id String, r_instance_id String, r_interface_id String, r_region String, r_az_id String, r_sublocation_type String, r_sublocation_id String, r_action String, r_tcp_flags String, r_pkt_srcaddr String, r_pkt_dstaddr String, r_pkt_src_aws_service String, r_pkt_dst_aws_service String, r_traffic_path String, r_flow_direction String, r_log_status String) ENGINE = Null;
CREATE MATERIALIZED VIEW mv_v2 TO flows AS SELECT
  toUInt8OrZero(r_version) AS version,
  toUInt64OrZero(r_account_id) AS account_id,
  r_interface_id AS interface_id,
  IPv4StringToNum(r_srcaddr) AS srcaddr,
  IPv4StringToNum(r_dstaddr) AS dstaddr,
  if(position(r_srcaddr, ':') > 0, toString(IPv6StringToNum(r_srcaddr)), '') AS srcaddr6,
  if(position(r_dstaddr, ':') > 0, toString(IPv6StringToNum(r_dstaddr)), '') AS dstaddr6,
  toUInt16OrZero(r_srcport) AS srcport,
  toUInt16OrZero(r_dstport) AS dstport,
  toUInt8OrZero(r_protocol) AS protocol,
  toUInt64OrZero(r_packets) AS packets,
  toUInt64OrZero(r_bytes) AS bytes,
  toDateTime(toUInt32OrZero(r_start)) AS start,
  toDateTime(toUInt32OrZero(r_end)) AS end,
  CAST(r_action AS Enum8('-' = 0, 'ACCEPT' = 1, 'REJECT' = 2)) AS action,
  CAST(r_log_status AS Enum8('OK' = 1, 'NODATA' = 2, 'SKIPDATA' = 3)) AS log_status,
  CAST('-' AS Enum8('-' = 0, 'IPv4' = 1, 'IPv6' = 2, 'EFA' = 3)) AS type,
  '' AS vpc_id, '' AS subnet_id, '' AS instance_id, '' AS region, '' AS az_id,
  '' AS sublocation_type, '' AS sublocation_id,
  toUInt8(0) AS tcp_flags,
  toUInt32(0) AS pkt_srcaddr, toUInt32(0) AS pkt_dstaddr, '' AS pkt_srcaddr6, '' AS pkt_dstaddr6,
  '' AS pkt_src_aws_service, '' AS pkt_dst_aws_service,
  toUInt8(0) AS traffic_path,
  CAST('-' AS Enum8('-' = 0, 'ingress' = 1, 'egress' = 2)) AS flow_direction
FROM raw_v2;
CREATE MATERIALIZED VIEW mv_v5 TO flows AS SELECT
  toUInt8OrZero(r_version) AS version,
  toUInt64OrZero(r_account_id) AS account_id,
  r_interface_id AS interface_id,
  IPv4StringToNum(r_srcaddr) AS srcaddr,
  IPv4StringToNum(r_dstaddr) AS dstaddr,
  if(position(r_srcaddr, ':') > 0, toString(IPv6StringToNum(r_srcaddr)), '') AS srcaddr6,
  if(position(r_dstaddr, ':') > 0, toString(IPv6StringToNum(r_dstaddr)), '') AS dstaddr6,
  toUInt16OrZero(r_srcport) AS srcport,
  toUInt16OrZero(r_dstport) AS dstport,
  toUInt8OrZero(r_protocol) AS protocol,
  toUInt64OrZero(r_packets) AS packets,
  toUInt64OrZero(r_bytes) AS bytes,
  toDateTime(toUInt32OrZero(r_start)) AS start,
  toDateTime(toUInt32OrZero(r_end)) AS end,
  CAST(r_action AS Enum8('-' = 0, 'ACCEPT' = 1, 'REJECT' = 2)) AS action,
  CAST(r_log_status AS Enum8('OK' = 1, 'NODATA' = 2, 'SKIPDATA' = 3)) AS log_status,
  CAST(r_type AS Enum8('-' = 0, 'IPv4' = 1, 'IPv6' = 2, 'EFA' = 3)) AS type,
  r_vpc_id AS vpc_id,
  r_subnet_id AS subnet_id,
  r_instance_id AS instance_id,
  r_region AS region,
  r_az_id AS az_id,
  r_sublocation_type AS sublocation_type,
  r_sublocation_id AS sublocation_id,
  toUInt8OrZero(r_tcp_flags) AS tcp_flags,
  IPv4StringToNum(r_pkt_srcaddr) AS pkt_srcaddr,
  IPv4StringToNum(r_pkt_dstaddr) AS pkt_dstaddr,
  if(position(r_pkt_srcaddr, ':') > 0, toString(IPv6StringToNum(r_pkt_srcaddr)), '') AS pkt_srcaddr6,
  if(position(r_pkt_dstaddr, ':') > 0, toString(IPv6StringToNum(r_pkt_dstaddr)), '') AS pkt_dstaddr6,
  r_pkt_src_aws_service AS pkt_src_aws_service,
  r_pkt_dst_aws_service AS pkt_dst_aws_service,
  toUInt8OrZero(r_traffic_path) AS traffic_path,
  CAST(r_flow_direction AS Enum8('-' = 0, 'ingress' = 1, 'egress' = 2)) AS flow_direction
FROM raw_v5;;
