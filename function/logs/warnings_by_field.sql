-- Warnings by field per ad account and Pinterest event name, last 7 days: the WARNINGS of `report`.
-- One count per delivered event and field, however many warnings the event has on that field.
SELECT ad_account_id, event_name, field, COUNT(*) AS events, ANY_VALUE(reason) AS example_reason
FROM (
  SELECT ad_account_id, event_name, JSON_VALUE(warning, '$.field') AS field,
    ANY_VALUE(JSON_VALUE(warning, '$.reason')) AS reason
  FROM `${table}`, UNNEST(JSON_QUERY_ARRAY(warnings)) AS warning
  WHERE timestamp >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 7 DAY)
    AND outcome = 'delivered' AND match_keys IS NOT NULL
  GROUP BY ad_account_id, event_name, event_id, batch_id, attempt, field
)
WHERE field IS NOT NULL
GROUP BY ad_account_id, event_name, field
ORDER BY ad_account_id, event_name, events DESC, field
