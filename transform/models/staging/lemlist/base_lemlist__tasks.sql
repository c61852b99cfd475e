-- Every team's loaded `tasks` table, united as loaded (one schema per team, listed in
-- the lemlist_schemas var): what stg_lemlist__tasks renames and the snapshot versions.
-- Each team has its own table because each team's complete sync retires, with
-- ACTIVATE_VERSION, every row of its table it did not see.

{{ lemlist_union('tasks') }}
