from clinic_common.db.alembic_env import run_env

from billing import models  # noqa: F401  (registers every table)
from billing.db import Base

run_env(Base.metadata, url_env="BILLING_DATABASE_URL")
