"""The facade: one ``Shop`` owns one database; services hang off it."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

from engine.database import Database
from engine.journal import Journal
from engine.paths import default_db_path
from engine.settings import Settings


class Shop:
    """Everything the GUI and the command line do goes through a Shop.

    >>> shop = Shop(":memory:")
    """

    def __init__(self, path: Path | str | None = None):
        if path is None:
            path = default_db_path()
        memory = str(path) == ":memory:"
        self.db = Database(None if memory else Path(path), memory=memory)
        self.path = self.db.path
        self.journal = Journal(self.db)
        self.settings = Settings(self.db)

    @cached_property
    def formats(self):
        from engine.formats import FormatRegistry
        return FormatRegistry(self.settings)

    @cached_property
    def imports(self):
        from engine.importer import ImportService
        return ImportService(self)

    @cached_property
    def customers(self):
        from engine.customers import CustomerService
        return CustomerService(self)

    @cached_property
    def surveys(self):
        from engine.surveys import SurveyService
        return SurveyService(self)

    @cached_property
    def journeys(self):
        from engine.journeys import JourneyService
        return JourneyService(self)

    @cached_property
    def analysis(self):
        from engine.analysis import AnalysisService
        return AnalysisService(self)

    @cached_property
    def count_program(self):
        from engine.count_program import CountProgramService
        return CountProgramService(self)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Shop":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
