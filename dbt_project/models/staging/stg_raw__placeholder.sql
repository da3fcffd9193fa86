select 1 as placeholder_id
