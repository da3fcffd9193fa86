"""The one DbtProject object."""

from dagster_dbt import DbtProject

from dagster_project.lib.paths import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# `dagster dev` re-parses the project so model edits show without a manual step;
# elsewhere `make setup` has written target/manifest.json.
dbt_project.prepare_if_dev()
