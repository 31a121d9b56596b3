-- Match quality per ad account and Pinterest event name, last 7 days: what `python -m function report` prints.
-- Delivered events only (never retries or refusals); shares are fractions of those delivered;
-- lateness is event_time to the delivery's row, in whole seconds, by nearest rank.
SELECT ad_account_id, event_name, COUNT(*) AS delivered,
  COUNTIF(event_id_source IN ('event_id', 'transaction_id')) / COUNT(*) AS site_event_id,
  COUNTIF('em' IN UNNEST(keys) OR 'ph' IN UNNEST(keys)) / COUNT(*) AS em_or_ph,
  COUNTIF('em' IN UNNEST(keys)) / COUNT(*) AS em,
  COUNTIF('ph' IN UNNEST(keys)) / COUNT(*) AS ph,
  COUNTIF('fn' IN UNNEST(keys)) / COUNT(*) AS fn,
  COUNTIF('ln' IN UNNEST(keys)) / COUNT(*) AS ln,
  COUNTIF('ge' IN UNNEST(keys)) / COUNT(*) AS ge,
  COUNTIF('db' IN UNNEST(keys)) / COUNT(*) AS db,
  COUNTIF('ct' IN UNNEST(keys)) / COUNT(*) AS ct,
  COUNTIF('st' IN UNNEST(keys)) / COUNT(*) AS st,
  COUNTIF('zp' IN UNNEST(keys)) / COUNT(*) AS zp,
  COUNTIF('country' IN UNNEST(keys)) / COUNT(*) AS country,
  COUNTIF('external_id' IN UNNEST(keys)) / COUNT(*) AS external_id,
  COUNTIF('hashed_maids' IN UNNEST(keys)) / COUNT(*) AS hashed_maids,
  COUNTIF('client_ip_address' IN UNNEST(keys) AND 'client_user_agent' IN UNNEST(keys)) / COUNT(*)
    AS client_ip_address_and_user_agent,
  COUNTIF('click_id' IN UNNEST(keys)) / COUNT(*) AS click_id,
  ARRAY_AGG(lateness_s IGNORE NULLS ORDER BY lateness_s)[
    SAFE_OFFSET(CAST(CEIL(0.5 * COUNT(lateness_s)) AS INT64) - 1)] AS lateness_p50_s,
  ARRAY_AGG(lateness_s IGNORE NULLS ORDER BY lateness_s)[
    SAFE_OFFSET(CAST(CEIL(0.95 * COUNT(lateness_s)) AS INT64) - 1)] AS lateness_p95_s
FROM (
  SELECT ad_account_id, event_name, event_id_source, JSON_VALUE_ARRAY(match_keys) AS keys,
    TIMESTAMP_DIFF(timestamp, TIMESTAMP_SECONDS(LAX_INT64(request_body.event_time)), SECOND) AS lateness_s
  FROM `${table}`
  WHERE timestamp >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 7 DAY)
    AND outcome = 'delivered' AND match_keys IS NOT NULL
)
GROUP BY ad_account_id, event_name
ORDER BY ad_account_id, delivered DESC, event_name
