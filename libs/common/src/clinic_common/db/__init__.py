"""Database plumbing shared by the services: engine, sessions, metadata, platform tables."""

from clinic_common.db.base import NAMING_CONVENTION, make_metadata
from clinic_common.db.platform import PlatformTables
from clinic_common.db.repository import RepositoryBase
from clinic_common.db.session import Database, SessionDep, get_session

__all__ = [
    "NAMING_CONVENTION",
    "Database",
    "PlatformTables",
    "RepositoryBase",
    "SessionDep",
    "get_session",
    "make_metadata",
]
