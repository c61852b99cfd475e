-- Every team's loaded one-row `teams` table, united as loaded (one schema per team,
-- listed in the lemlist_schemas var): what stg_lemlist__teams renames and the snapshot
-- snp_lemlist__teams versions. A schema loaded without the teams stream has no row; a
-- teams table loaded by a tap older than taskFilters has that column null.

{{ lemlist_union('teams', required=false, columns={
    '_id': 'text',
    'name': 'text',
    'taskFilters': 'text',
    '_sdc_extracted_at': 'timestamp without time zone',
    '_sdc_deleted_at': 'timestamp without time zone',
}) }}
