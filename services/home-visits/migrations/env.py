from clinic_common.db.alembic_env import run_env

from home_visits import models  # noqa: F401  (registers every table)
from home_visits.db import Base

run_env(Base.metadata, url_env="HOME_VISITS_DATABASE_URL")
