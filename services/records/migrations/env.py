from clinic_common.db.alembic_env import run_env

from records import models  # noqa: F401  (registers every table)
from records.db import Base

run_env(Base.metadata, url_env="RECORDS_DATABASE_URL")
