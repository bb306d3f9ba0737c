"""`python -m pytest` runs every tutorial here, top to bottom, through nbmake.

pytest collects `notebooks/` (see `testpaths` in pyproject.toml); each
`.ipynb` file becomes a test that executes the notebook in a fresh kernel and
fails on the first cell that raises. With `--nbmake` on the command line
nbmake collects the notebooks itself. Without nbmake installed each notebook
is a failing test that says so (install the dev extras).
"""

import pytest


class _NbmakeMissing(pytest.Item):
    def runtest(self):
        raise RuntimeError(
            "nbmake is not installed, so the notebooks cannot run: "
            "pip install -e '.[dev]'"
        )

    def reportinfo(self):
        return self.path, None, f"notebook {self.path.name}"


class _NotebookWithoutNbmake(pytest.File):
    def collect(self):
        yield _NbmakeMissing.from_parent(self, name=self.path.name)


def pytest_collect_file(file_path, parent):
    if file_path.suffix != ".ipynb" or parent.config.getoption("nbmake", False):
        return None
    try:
        from nbmake.pytest_items import NotebookFile
    except ImportError:
        return _NotebookWithoutNbmake.from_parent(parent, path=file_path)
    return NotebookFile.from_parent(parent, path=file_path)
