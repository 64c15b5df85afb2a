from clinic_common.db.alembic_env import run_env

from scheduling import models  # noqa: F401  (registers every table)
from scheduling.db import Base

run_env(Base.metadata, url_env="SCHEDULING_DATABASE_URL")
